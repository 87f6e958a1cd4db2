/**
 * Reports › Active user hours: what the account is billed for (time in any activity but the
 * logout activity) per day or month in a chosen time zone, with the hours the automatic logout
 * saved stacked on top, a table per worker, and the CSV. Every figure is the server's.
 */
import { Anchor } from '@twilio-paste/core/anchor';
import { Box } from '@twilio-paste/core/box';
import { Card } from '@twilio-paste/core/card';
import { Checkbox } from '@twilio-paste/core/checkbox';
import { Option, Select } from '@twilio-paste/core/select';
import { Table, TBody, Td, Th, THead, Tr, TFoot } from '@twilio-paste/core/table';
import { Text } from '@twilio-paste/core/text';
import { DownloadIcon } from '@twilio-paste/icons/esm/DownloadIcon';
import { useMemo } from 'react';
import type { ReactNode } from 'react';
import { api, ApiError, exportUrl } from '../api';
import type { ActiveUserHours } from '../contract';
import { Chart } from '../reports/chart';
import { BROWSER_ZONE, dayIn, Field, hours, ReportForm } from '../reports/report-form';
import { useReport, withoutEmpty } from '../reports/use-report';
import { WorkerSelect } from '../reports/worker-select';
import { EmptyState, LoadError, LoadingRows } from '../shell/page-states';
import { PageTitle } from '../shell/page-title';

interface Filters {
  start_date: string;
  end_date: string;
  time_zone: string;
  granularity: string;
  rounding: string;
  worker_sid: string;
}

const initial = (): Filters => {
  const today = dayIn(BROWSER_ZONE);
  return { start_date: `${today.slice(0, 8)}01`, end_date: today, time_zone: BROWSER_ZONE, granularity: 'day', rounding: 'none', worker_sid: '' };
};

const load = (f: Filters) => api.reports.activeUserHours(withoutEmpty(f));

function chartOf(r: ActiveUserHours) {
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 40, bottom: 56 },
    dataZoom: r.periods.length > 16 ? [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 4 }] : [],
    xAxis: { type: 'category', data: r.periods.map((p) => p.period) },
    yAxis: { type: 'value', name: 'hours' },
    series: [
      { name: r.rounding === 'started-hour' ? 'Billed hours (each started hour)' : 'Billed hours', type: 'bar', stack: 'hours', data: r.periods.map((p) => p.billed_hours), itemStyle: { color: '#0263e0' }, barMaxWidth: 48, large: true },
      { name: 'Saved by automatic logout', type: 'bar', stack: 'hours', data: r.periods.map((p) => p.saved_hours), itemStyle: { color: '#14b053' }, barMaxWidth: 48, large: true },
    ],
  };
}

function WorkerTable({ report }: { report: ActiveUserHours }): ReactNode {
  const t = report.total;
  return (
    <Table scrollHorizontally data-testid="hours-table">
      <THead>
        <Tr><Th>Worker</Th><Th textAlign="right">Active hours</Th><Th textAlign="right">Billed hours</Th><Th textAlign="right">Hours saved</Th></Tr>
      </THead>
      <TBody>
        {report.workers.map((w) => (
          <Tr key={w.worker_sid} data-worker-sid={w.worker_sid}>
            <Td>{w.friendly_name ?? w.worker_sid}{w.deleted ? <Text as="span" color="colorTextWeak"> (deleted)</Text> : null}</Td>
            <Td textAlign="right">{hours(w.active_hours)}</Td>
            <Td textAlign="right" data-testid="worker-billed">{hours(w.billed_hours)}</Td>
            <Td textAlign="right">{hours(w.saved_hours)}</Td>
          </Tr>
        ))}
      </TBody>
      <TFoot>
        <Tr data-testid="hours-total">
          <Th scope="row">Total ({t.active_workers} active {t.active_workers === 1 ? 'worker' : 'workers'})</Th>
          <Td textAlign="right">{hours(t.active_hours)}</Td>
          <Td textAlign="right" data-testid="total-billed">{hours(t.billed_hours)}</Td>
          <Td textAlign="right" data-testid="total-saved">{hours(t.saved_hours)}</Td>
        </Tr>
      </TFoot>
    </Table>
  );
}

export default function ActiveUserHoursPage(): ReactNode {
  const { draft, setDraft, applied, apply, data } = useReport(initial(), load);
  const report = data.error ? null : data.data;
  const option = useMemo(() => (report ? chartOf(report) : null), [report]);
  const fieldRefusal = data.error instanceof ApiError && data.error.field !== undefined;
  return (
    <Box>
      <PageTitle section="Reports" title="Active user hours"
        actions={<Anchor href={exportUrl('active-user-hours.csv', withoutEmpty(applied))} data-testid="hours-csv"><DownloadIcon decorative />Download CSV</Anchor>}>
        Time in any activity but the logout activity, as Flex bills it, and the hours the automatic logout saved: what the account would have paid with automatic update off.
      </PageTitle>
      <ReportForm label="Report filters" values={draft} onChange={(v) => setDraft({ ...draft, ...v })} onSubmit={apply} error={data.error} loading={data.loading}>
        <Field name="granularity" label="Per" error={data.error}>
          {(id, invalid) => (
            <Select id={id} name="granularity" value={draft.granularity} hasError={invalid} onChange={(e) => setDraft({ ...draft, granularity: e.target.value })}>
              <Option value="day">Day</Option>
              <Option value="month">Month</Option>
            </Select>
          )}
        </Field>
        <WorkerSelect value={draft.worker_sid} onChange={(worker_sid) => setDraft({ ...draft, worker_sid })} error={data.error} allowAll />
        <Box paddingTop="space80" flexBasis="12rem">
          <Checkbox id="started-hour" name="rounding" checked={draft.rounding === 'started-hour'} onChange={(e) => setDraft({ ...draft, rounding: e.target.checked ? 'started-hour' : 'none' })}>
            Each started hour counts
          </Checkbox>
        </Box>
      </ReportForm>
      {data.error && !fieldRefusal ? <LoadError error={data.error} onRetry={() => void data.reload()} what="the report" /> : null}
      {report && option ? (
        <Box display="flex" flexDirection="column" rowGap="space70">
          <Card padding="space50">
            <Text as="p" marginBottom="space40" data-testid="hours-headline">
              <strong>{hours(report.total.billed_hours)}</strong> billed hours and <strong>{hours(report.total.saved_hours)}</strong> hours saved, {report.time_zone}, logout activity “{report.logout_activity_name}”.
            </Text>
            <Chart option={option} height={320} testId="hours-chart"
              label={`Billed hours and hours saved per ${report.granularity}, ${report.periods[0]?.period ?? ''} to ${report.periods.at(-1)?.period ?? ''}`} />
          </Card>
          {report.workers.length === 0
            ? <EmptyState title="No active hours in this range">No worker was in an activity other than {report.logout_activity_name} between these dates.</EmptyState>
            : <WorkerTable report={report} />}
        </Box>
      ) : !data.error ? <LoadingRows label="Loading the report…" /> : null}
    </Box>
  );
}
