/**
 * Apache ECharts on a canvas, with only the parts the reports draw registered (bars, lines, the
 * custom series of the timeline, scatter marks), so the reports chunk stays small. A chart
 * follows its container's width (a ResizeObserver), and ECharts' aria module describes it to
 * screen readers; the figures are also in a table beside every chart.
 */
import { BarChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import { AriaComponent, DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { init, use, type EChartsCoreOption, type EChartsType } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { Box } from '@twilio-paste/core/box';
import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';

use([BarChart, LineChart, CustomChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, DataZoomComponent, AriaComponent, CanvasRenderer]);

export function Chart({ option, height, label, testId }: { option: EChartsCoreOption; height: number; label: string; testId: string }): ReactNode {
  const element = useRef<HTMLDivElement | null>(null);
  const chart = useRef<EChartsType | null>(null);

  useEffect(() => {
    const el = element.current;
    if (!el) return undefined;
    const c = init(el, undefined, { renderer: 'canvas' });
    chart.current = c;
    const observer = new ResizeObserver(() => c.resize());
    observer.observe(el);
    return () => {
      observer.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ aria: { enabled: true }, animation: false, ...option }, { notMerge: true });
  }, [option]);

  return (
    <Box width="100%" overflow="hidden">
      <div ref={element} role="img" aria-label={label} data-testid={testId} style={{ width: '100%', height }} />
    </Box>
  );
}
