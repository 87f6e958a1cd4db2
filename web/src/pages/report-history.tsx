/**
 * Reports › History: one worker's timeline over a range (activities as bands, disconnections
 * marked, automatic changes labelled with their cause), its activity log and disconnections
 * below, and the exports of both as CSV and NDJSON.
 */
import { Alert } from '@twilio-paste/core/alert';
import { Anchor } from '@twilio-paste/core/anchor';
import { Box } from '@twilio-paste/core/box';
import { Card } from '@twilio-paste/core/card';
import { Heading } from '@twilio-paste/core/heading';
import { Table, TBody, Td, Th, THead, Tr } from '@twilio-paste/core/table';
import { Text } from '@twilio-paste/core/text';
import { DownloadIcon } from '@twilio-paste/icons/esm/DownloadIcon';
import { useMemo } from 'react';
import type { ReactNode } from 'react';
import { api, ApiError, exportUrl } from '../api';
import type { WorkerHistory } from '../contract';
import { Chart } from '../reports/chart';
import { BROWSER_ZONE, dayIn, ReportForm, timeIn } from '../reports/report-form';
import { OUTCOME_LABEL, timelineOption } from '../reports/timeline';
import { useReport, withoutEmpty } from '../reports/use-report';
import { WorkerSelect } from '../reports/worker-select';
import { EmptyState, LoadError, LoadingRows } from '../shell/page-states';
import { PageTitle } from '../shell/page-title';

interface Filters { start_date: string; end_date: string; time_zone: string; worker_sid: string }

interface Loaded { history: WorkerHistory; logoutActivity: string }

const initialWorker = (): string => new URLSearchParams(window.location.search).get('worker') ?? '';

const initial = (): Filters => ({ start_date: dayIn(BROWSER_ZONE), end_date: dayIn(BROWSER_ZONE), time_zone: BROWSER_ZONE, worker_sid: initialWorker() });

async function load(f: Filters): Promise<Loaded | null> {
  if (f.worker_sid === '') return null;
  const [history, settings] = await Promise.all([api.reports.history(withoutEmpty(f)), api.settings.get()]);
  return { history, logoutActivity: settings.logout_activity_name };
}

function LogTable({ h }: { h: WorkerHistory }): ReactNode {
  const at = (ms: number) => timeIn(h.time_zone, ms);
  return (
    <Table scrollHorizontally data-testid="log-table">
      <THead><Tr><Th>Effective</Th><Th>From</Th><Th>To</Th><Th>Cause</Th><Th>Actor</Th><Th>Evidence</Th></Tr></THead>
      <TBody>
        {h.activity_log.map((e) => (
          <Tr key={e.id} data-cause={e.cause}>
            <Td>{at(e.effective_at)}</Td>
            <Td>{e.from_activity_name ?? '—'}</Td>
            <Td>{e.to_activity_name ?? e.to_activity_sid}</Td>
            <Td>{e.cause}</Td>
            <Td>{e.actor ?? '—'}</Td>
            <Td>{e.evidence ? `${e.evidence.reason}; last seen ${at(e.evidence.last_seen_at)}; threshold ${e.evidence.threshold_ms / 1000} s` : ''}</Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}

function EpisodeTable({ h }: { h: WorkerHistory }): ReactNode {
  const at = (ms: number | null) => (ms === null ? '—' : timeIn(h.time_zone, ms));
  return (
    <Table scrollHorizontally data-testid="episode-table">
      <THead><Tr><Th>Last sign of life</Th><Th>Reason</Th><Th>Outcome</Th><Th>Ended</Th><Th textAlign="right">Seconds</Th></Tr></THead>
      <TBody>
        {h.disconnections.map((e) => (
          <Tr key={e.id} data-outcome={e.outcome ?? 'away'}>
            <Td>{at(e.start_at)}</Td>
            <Td>{e.reason}</Td>
            <Td>{OUTCOME_LABEL[e.outcome ?? 'away']}</Td>
            <Td>{at(e.end_at)}</Td>
            <Td textAlign="right">{e.duration_s ?? '—'}</Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}

function Exports({ filters }: { filters: Filters }): ReactNode {
  const q = withoutEmpty(filters);
  const link = (file: string, label: string) => <Anchor href={exportUrl(file, q)} data-testid={`export-${file}`}><DownloadIcon decorative />{label}</Anchor>;
  return (
    <Box display="flex" flexWrap="wrap" columnGap="space50" rowGap="space30" data-testid="history-exports">
      {link('activity-log.csv', 'Activity log CSV')}
      {link('activity-log.ndjson', 'Activity log NDJSON')}
      {link('disconnections.csv', 'Disconnections CSV')}
      {link('disconnections.ndjson', 'Disconnections NDJSON')}
    </Box>
  );
}

export default function HistoryPage(): ReactNode {
  const { draft, setDraft, applied, apply, data } = useReport(initial(), load);
  const loaded = data.error ? null : data.data;
  const option = useMemo(() => (loaded ? timelineOption(loaded.history, loaded.logoutActivity) : null), [loaded]);
  const fieldRefusal = data.error instanceof ApiError && data.error.field !== undefined;
  const h = loaded?.history;
  return (
    <Box>
      <PageTitle section="Reports" title="History">
        One worker&apos;s activities and disconnections over time, with the cause of every automatic change.
      </PageTitle>
      <ReportForm label="History filters" values={draft} onChange={(v) => setDraft({ ...draft, ...v })} onSubmit={apply} error={data.error} loading={data.loading}>
        <WorkerSelect value={draft.worker_sid} onChange={(worker_sid) => setDraft({ ...draft, worker_sid })} error={data.error} allowAll={false} />
      </ReportForm>
      {data.error && !fieldRefusal ? <LoadError error={data.error} onRetry={() => void data.reload()} what="the history" /> : null}
      {data.loading && !data.data && !data.error ? <LoadingRows label="Loading the history…" /> : null}
      {!data.loading && !data.error && data.data === null ? <EmptyState title="Choose a worker">Pick a worker and a range, then Show.</EmptyState> : null}
      {h && option ? (
        <Box display="flex" flexDirection="column" rowGap="space70">
          {h.truncated ? <Alert variant="warning"><Text as="span">This range holds more than the timeline draws; it shows the first part. Narrow the range, or download the export for all of it.</Text></Alert> : null}
          <Card padding="space50">
            <Text as="p" marginBottom="space40" data-testid="history-headline">{h.activity_log.length} activity changes and {h.disconnections.length} disconnections, {h.time_zone}.</Text>
            <Chart option={option} height={220} testId="history-chart" label={`Timeline of activities and disconnections from ${timeIn(h.time_zone, h.start_at)} to ${timeIn(h.time_zone, h.data_until)}`} />
          </Card>
          <Exports filters={applied} />
          <Heading as="h2" variant="heading30">Activity log</Heading>
          {h.activity_log.length === 0 ? <Text as="p">No activity changes in this range.</Text> : <LogTable h={h} />}
          <Heading as="h2" variant="heading30">Disconnections</Heading>
          {h.disconnections.length === 0 ? <Text as="p">No disconnections in this range.</Text> : <EpisodeTable h={h} />}
        </Box>
      ) : null}
    </Box>
  );
}
