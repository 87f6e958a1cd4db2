/**
 * Reports › Threshold advisor: the recorded disconnections replayed under each candidate
 * offline threshold, with the false logouts (back within five minutes) each would have caused
 * and the hours each would have billed. The current threshold is marked.
 */
import { Badge } from '@twilio-paste/core/badge';
import { Box } from '@twilio-paste/core/box';
import { Card } from '@twilio-paste/core/card';
import { Table, TBody, Td, Th, THead, Tr } from '@twilio-paste/core/table';
import { Text } from '@twilio-paste/core/text';
import { useMemo } from 'react';
import type { ReactNode } from 'react';
import { api, ApiError } from '../api';
import type { ThresholdAdvice } from '../contract';
import { Chart } from '../reports/chart';
import { BROWSER_ZONE, dayIn, hours, ReportForm } from '../reports/report-form';
import { useReport, withoutEmpty } from '../reports/use-report';
import { WorkerSelect } from '../reports/worker-select';
import { LoadError, LoadingRows } from '../shell/page-states';
import { PageTitle } from '../shell/page-title';

interface Filters { start_date: string; end_date: string; time_zone: string; worker_sid: string }

const initial = (): Filters => ({
  start_date: dayIn(BROWSER_ZONE, Date.now() - 6 * 86_400_000), end_date: dayIn(BROWSER_ZONE), time_zone: BROWSER_ZONE, worker_sid: '',
});

const load = (f: Filters) => api.reports.thresholdAdvisor(withoutEmpty(f));

const thresholdLabel = (s: number): string => (s % 60 === 0 && s >= 60 ? `${s / 60} min` : `${s} s`);

function chartOf(a: ThresholdAdvice) {
  const labels = a.candidates.map((c) => `${thresholdLabel(c.threshold_seconds)}${c.current ? ' (current)' : ''}`);
  const current = labels[a.candidates.findIndex((c) => c.current)];
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: labels, name: 'threshold' },
    yAxis: [{ type: 'value', name: 'logouts', minInterval: 1 }, { type: 'value', name: 'billed hours', scale: true }],
    series: [
      { name: 'False logouts', type: 'bar', data: a.candidates.map((c) => ({ value: c.false_logouts, itemStyle: { color: c.current ? '#d61f1f' : '#f28b8b' } })),
        markLine: current === undefined ? undefined : { symbol: 'none', label: { formatter: 'current' }, lineStyle: { color: '#121c2d', type: 'dashed' }, data: [{ xAxis: current }] } },
      { name: 'Logouts', type: 'bar', data: a.candidates.map((c) => ({ value: c.logouts, itemStyle: { color: c.current ? '#0263e0' : '#99cdff' } })) },
      { name: 'Billed hours', type: 'line', yAxisIndex: 1, data: a.candidates.map((c) => c.active_hours), itemStyle: { color: '#14b053' },
        markLine: { symbol: 'none', lineStyle: { type: 'dotted' }, data: [
          { yAxis: a.without_automatic_logout.active_hours, name: 'without automatic logout', label: { formatter: 'automatic update off' } },
        ] } },
    ],
  };
}

function AdviceTable({ advice }: { advice: ThresholdAdvice }): ReactNode {
  return (
    <Table scrollHorizontally data-testid="advisor-table">
      <THead>
        <Tr><Th>Offline threshold</Th><Th textAlign="right">Logouts</Th><Th textAlign="right">False logouts</Th><Th textAlign="right">Billed hours</Th><Th textAlign="right">Hours saved</Th></Tr>
      </THead>
      <TBody>
        {advice.candidates.map((c) => (
          <Tr key={c.threshold_seconds} data-threshold={c.threshold_seconds}>
            <Td>{thresholdLabel(c.threshold_seconds)} {c.current ? <Badge as="span" variant="new">current</Badge> : null}</Td>
            <Td textAlign="right">{c.logouts}</Td>
            <Td textAlign="right" data-testid="false-logouts">{c.false_logouts}</Td>
            <Td textAlign="right" data-testid="candidate-hours">{hours(c.active_hours)}</Td>
            <Td textAlign="right">{hours(c.saved_hours)}</Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}

export default function ThresholdAdvisorPage(): ReactNode {
  const { draft, setDraft, apply, data } = useReport(initial(), load);
  const advice = data.error ? null : data.data;
  const option = useMemo(() => (advice ? chartOf(advice) : null), [advice]);
  const fieldRefusal = data.error instanceof ApiError && data.error.field !== undefined;
  return (
    <Box>
      <PageTitle section="Reports" title="Threshold advisor">
        The recorded disconnections replayed under each offline threshold: how many logouts each would have caused that the agent came back from within five minutes, and the hours each would have billed.
      </PageTitle>
      <ReportForm label="Advisor filters" values={draft} onChange={(v) => setDraft({ ...draft, ...v })} onSubmit={apply} error={data.error} loading={data.loading}>
        <WorkerSelect value={draft.worker_sid} onChange={(worker_sid) => setDraft({ ...draft, worker_sid })} error={data.error} allowAll />
      </ReportForm>
      {data.error && !fieldRefusal ? <LoadError error={data.error} onRetry={() => void data.reload()} what="the advice" /> : null}
      {advice && option ? (
        <Box display="flex" flexDirection="column" rowGap="space70">
          <Card padding="space50">
            <Text as="p" marginBottom="space40" data-testid="advisor-headline">
              {advice.episodes} disconnections of {advice.workers} workers. What happened: {advice.actual.logouts} logouts, {advice.actual.false_logouts} false,{' '}
              {hours(advice.actual.active_hours)} billed hours; with automatic update off: {hours(advice.without_automatic_logout.active_hours)}.
              {advice.automatic_update ? '' : ' Automatic update is off now; the replay assumes it was on.'}
            </Text>
            <Chart option={option} height={320} testId="advisor-chart" label={`False logouts, logouts and billed hours per offline threshold; the current one is ${advice.current_threshold_seconds} s`} />
          </Card>
          <AdviceTable advice={advice} />
        </Box>
      ) : !data.error ? <LoadingRows label="Replaying the disconnections…" /> : null}
    </Box>
  );
}
