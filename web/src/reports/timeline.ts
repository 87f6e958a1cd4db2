/**
 * One worker's timeline as an ECharts option: a lane of activity bands (a custom series of
 * rectangles, so a month of ~1 000 bands stays one canvas draw), a lane of disconnections
 * (spans from the last sign of life to the reconnection or logout, styled by outcome), and a
 * pin on every automatic change labelled with its cause. It draws what the server answered.
 */
import { graphic } from 'echarts/core';
import type { WorkerHistory } from '../contract';
import { timeIn } from './report-form';

const PERSON = new Set(['agent', 'admin', 'api', 'created']);
const PALETTE = ['#14b053', '#0263e0', '#f47c22', '#8c5bd8', '#06033a', '#e0a300', '#00838f'];
const OUTCOME: Record<string, string> = { 'logged-out': '#d61f1f', reconnected: '#f47c22', overridden: '#8c5bd8', away: '#606b85' };
export const OUTCOME_LABEL: Record<string, string> = { 'logged-out': 'logged out', reconnected: 'reconnected in time', overridden: 'a person changed the activity first', away: 'still away' };

interface Band { value: [number, number, number]; name: string; itemStyle: { color: string }; tip: string }

export function colourOf(activity: string, logoutActivity: string, known: Map<string, string>): string {
  if (activity === logoutActivity) return '#aeb2c1';
  let c = known.get(activity);
  if (!c) {
    c = PALETTE[known.size % PALETTE.length] ?? '#0263e0';
    known.set(activity, c);
  }
  return c;
}

export function timelineOption(h: WorkerHistory, logoutActivity: string) {
  const zone = h.time_zone;
  const at = (ms: number) => timeIn(zone, ms);
  const colours = new Map<string, string>();
  const bands: Band[] = [];
  const starts = [
    ...(h.initial_activity ? [{ at: h.start_at, name: h.initial_activity.activity_name ?? h.initial_activity.activity_sid }] : []),
    ...h.activity_log.map((e) => ({ at: Math.max(e.effective_at, h.start_at), name: e.to_activity_name ?? e.to_activity_sid })),
  ];
  starts.forEach((s, i) => {
    const end = starts[i + 1]?.at ?? h.data_until;
    if (end <= s.at) return;
    bands.push({ value: [0, s.at, end], name: s.name, itemStyle: { color: colourOf(s.name, logoutActivity, colours) }, tip: `${s.name}<br>${at(s.at)} → ${at(end)}` });
  });
  for (const e of h.disconnections) {
    const outcome = e.outcome ?? 'away';
    const end = Math.min(e.end_at ?? h.data_until, h.data_until);
    bands.push({
      value: [1, Math.max(e.start_at, h.start_at), Math.max(end, e.start_at + 1)], name: `Disconnected (${e.reason})`, itemStyle: { color: OUTCOME[outcome] ?? '#606b85' },
      tip: `Disconnected: ${e.reason}, ${OUTCOME_LABEL[outcome]}<br>last seen ${at(e.start_at)}<br>noticed ${at(e.detected_at)}${e.logout_at !== null ? `<br>logged out ${at(e.logout_at)}` : ''}${e.reconnect_at !== null ? `<br>back ${at(e.reconnect_at)}` : ''}`,
    });
  }
  const automatic = h.activity_log.filter((e) => !PERSON.has(e.cause) && e.effective_at >= h.start_at).map((e) => ({
    value: [e.effective_at, 0], name: e.cause,
    tip: `${e.cause}: ${e.from_activity_name ?? '—'} → ${e.to_activity_name ?? e.to_activity_sid}<br>${at(e.effective_at)}${e.evidence ? `<br>${e.evidence.reason}, last seen ${at(e.evidence.last_seen_at)}, threshold ${e.evidence.threshold_ms / 1000} s` : ''}`,
  }));
  return {
    tooltip: { trigger: 'item', formatter: (p: { data?: { tip?: string } }) => p.data?.tip ?? '' },
    grid: { left: 100, right: 24, top: 36, bottom: 64 },
    dataZoom: [{ type: 'inside', filterMode: 'weakFilter' }, { type: 'slider', filterMode: 'weakFilter', height: 18, bottom: 8, labelFormatter: (v: number) => timeIn(zone, v, false) }],
    xAxis: { type: 'time', min: h.start_at, max: h.data_until, axisLabel: { hideOverlap: true, formatter: (v: number) => timeIn(zone, v, false) } },
    yAxis: { type: 'category', data: ['Activity', 'Connection'], inverse: true, axisTick: { show: false } },
    series: [
      {
        type: 'custom', name: 'Timeline', encode: { x: [1, 2], y: 0 }, data: bands,
        renderItem: (_params: unknown, api: { value: (i: number) => number; coord: (p: number[]) => number[]; size: (p: number[]) => number[] }, ) => {
          const lane = api.value(0);
          const [x0 = 0, y = 0] = api.coord([api.value(1), lane]);
          const [x1 = 0] = api.coord([api.value(2), lane]);
          const height = (api.size([0, 1])[1] ?? 20) * (lane === 0 ? 0.6 : 0.35);
          const shape = graphic.clipRectByRect({ x: x0, y: y - height / 2, width: Math.max(1, x1 - x0), height }, (_params as { coordSys: { x: number; y: number; width: number; height: number } }).coordSys);
          return shape ? { type: 'rect', shape, style: (api as unknown as { style: () => object }).style() } : null;
        },
      },
      {
        type: 'scatter', name: 'Automatic changes', data: automatic, symbol: 'pin', symbolSize: 28, itemStyle: { color: '#d61f1f' },
        label: { show: true, position: 'top', formatter: (p: { name: string }) => p.name, fontSize: 11 },
        labelLayout: { hideOverlap: true },
      },
    ],
  };
}
