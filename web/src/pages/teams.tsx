/**
 * Teams view (live): every worker with activity and time in it, connection state, a countdown
 * to a pending automatic logout, and the cause and evidence of the last automatic change; a
 * supervisor sets anyone's activity from the row. Fed by the console's event stream.
 */
import { Box } from '@twilio-paste/core/box';
import { Card } from '@twilio-paste/core/card';
import { StatusBadge } from '@twilio-paste/core/status';
import { Text } from '@twilio-paste/core/text';
import { memo, useCallback, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { api, ApiError, messageOf } from '../api';
import type { Settings, WorkerRow } from '../contract';
import type { LiveStatus } from '../live';
import { EmptyState, LoadingRows } from '../shell/page-states';
import { PageTitle } from '../shell/page-title';
import { useToast } from '../shell/toasts';
import { ChangeFeed } from '../teams/change-feed';
import { OutageBanner } from '../teams/outage-banner';
import { NO_FILTER, select } from '../teams/team-filter';
import type { TeamCounts, TeamFilter } from '../teams/team-filter';
import { TeamFilters } from '../teams/team-filters';
import { TeamRowStyles } from '../teams/row-styles';
import { TeamGrid } from '../teams/team-grid';
import { TeamRow } from '../teams/team-row';
import type { ActivityChoice } from '../teams/team-row';
import { useRowWindow } from '../teams/row-window';
import { useLive } from '../teams/use-live';

function LiveBadge({ status }: { status: LiveStatus }): ReactNode {
  const [variant, text] = status === 'live'
    ? ['ConnectivityAvailable', 'Live'] as const
    : status === 'reconnecting' ? ['ConnectivityBusy', 'Reconnecting…'] as const : ['ConnectivityNeutral', 'Connecting…'] as const;
  return (
    <Box role="status" aria-live="polite">
      <StatusBadge as="span" variant={variant} data-testid="live-status" data-status={status}>{text}</StatusBadge>
    </Box>
  );
}

/** The page's header, memoised: re-rendered when the stream's status or the settings change, not by every live update. */
const TeamsHeader = memo(function TeamsHeader({ status, settings }: { status: LiveStatus; settings: Settings | null }): ReactNode {
  return (
    <PageTitle section="Supervise" title="Teams view" actions={<LiveBadge status={status} />}>
      Who is there right now, who is disconnected and for how long, and who is about to be logged out, and why.
      {settings ? ` Automatic status update is ${settings.enabled ? `on, after ${settings.threshold_s} s` : 'off'}.` : ''}
    </PageTitle>
  );
});

export function TeamsPage(): ReactNode {
  const live = useLive();
  const [filter, setFilter] = useState<TeamFilter>(NO_FILTER);
  const toast = useToast();
  const { shown, counts: fresh } = useMemo(() => select(live.workers, filter), [live.workers, filter]);
  // The same counts as the same object, so the memoised filters skip re-rendering.
  const { total, connected, disconnected, pending } = fresh;
  const counts = useMemo<TeamCounts>(() => ({ total, connected, disconnected, pending }), [total, connected, disconnected, pending]);
  const keys = useMemo(() => shown.map((row) => row.sid), [shown]);
  const body = useRef<HTMLDivElement>(null);
  const win = useRowWindow(keys, body);
  // Worker counts make the activity list change with almost every event; the rows' choices only
  // change when an activity is added, removed or renamed, so every row is not re-rendered.
  const choicesKey = live.activities.map((a) => `${a.sid}\u0000${a.friendly_name}`).join('\u0001');
  const choices = useMemo<ActivityChoice[]>(
    () => choicesKey === '' ? [] : choicesKey.split('\u0001').map((pair) => {
      const [sid = '', name = ''] = pair.split('\u0000');
      return { sid, name };
    }),
    [choicesKey],
  );

  const setActivity = useCallback((row: WorkerRow, activitySid: string) => {
    api.workers.update(row.sid, { activity_sid: activitySid }).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.status === 401)) toast({ variant: 'error', message: `${row.friendly_name}: ${messageOf(e)}` });
    });
  }, [toast]);

  return (
    <Box>
      <TeamRowStyles />
      <TeamsHeader status={live.status} settings={live.settings} />
      <OutageBanner hold={live.settings?.outage_hold ?? null} />
      {!live.loaded ? (
        <LoadingRows rows={8} label="Connecting to the live stream…" />
      ) : (
        <Box display="flex" flexDirection="column" rowGap="space70">
          <Card padding="space60">
            <ChangeFeed changes={live.changes} />
          </Card>
          <TeamFilters filter={filter} onChange={setFilter} activities={choices} counts={counts} />
          <Text as="p" color="colorTextWeak" fontSize="fontSize30" aria-live="polite" data-testid="team-count">
            Showing {shown.length} of {counts.total} workers
          </Text>
          {counts.total === 0 ? (
            <EmptyState title="No workers yet">Workers appear here as soon as they are created.</EmptyState>
          ) : shown.length === 0 ? (
            <EmptyState title="No worker matches">Change or clear the filters to see more workers.</EmptyState>
          ) : (
            <TeamGrid rowCount={shown.length} bodyRef={body} padTop={win.padTop} padBottom={win.padBottom}>
              {shown.slice(win.start, win.end).map((row, i) => (
                <TeamRow key={row.sid} row={row} index={win.start + i} choices={choices} onSetActivity={setActivity} measure={win.measure} />
              ))}
            </TeamGrid>
          )}
        </Box>
      )}
    </Box>
  );
}
