/**
 * Teams view (live): every worker with activity and time in it, connection state, a countdown
 * to a pending automatic logout, and the cause and evidence of the last automatic change; a
 * supervisor sets anyone's activity from the row. Fed by the console's event stream.
 */
import { Box } from '@twilio-paste/core/box';
import { Card } from '@twilio-paste/core/card';
import { StatusBadge } from '@twilio-paste/core/status';
import { Text } from '@twilio-paste/core/text';
import { useCallback, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { api, ApiError, messageOf } from '../api';
import type { WorkerRow } from '../contract';
import type { LiveStatus } from '../live';
import { EmptyState, LoadingRows } from '../shell/page-states';
import { PageTitle } from '../shell/page-title';
import { useToast } from '../shell/toasts';
import { ChangeFeed } from '../teams/change-feed';
import { NO_FILTER, select } from '../teams/team-filter';
import type { TeamFilter } from '../teams/team-filter';
import { TeamFilters } from '../teams/team-filters';
import { TeamRowStyles } from '../teams/row-styles';
import { TeamGrid } from '../teams/team-grid';
import { TeamRow } from '../teams/team-row';
import type { ActivityChoice } from '../teams/team-row';
import { useLive, useProgressiveLimit } from '../teams/use-live';

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

export function TeamsPage(): ReactNode {
  const live = useLive();
  const [filter, setFilter] = useState<TeamFilter>(NO_FILTER);
  const toast = useToast();
  const { shown, counts } = useMemo(() => select(live.workers, filter), [live.workers, filter]);
  const limit = useProgressiveLimit(shown.length);
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
      <PageTitle section="Supervise" title="Teams view" actions={<LiveBadge status={live.status} />}>
        Who is there right now, who is disconnected and for how long, and who is about to be logged out, and why.
        {live.settings ? ` Automatic status update is ${live.settings.enabled ? `on, after ${live.settings.threshold_s} s` : 'off'}.` : ''}
      </PageTitle>
      {!live.loaded ? (
        <LoadingRows rows={8} label="Connecting to the live stream…" />
      ) : (
        <Box display="flex" flexDirection="column" rowGap="space70">
          <Card padding="space60">
            <ChangeFeed changes={live.changes} />
          </Card>
          <TeamFilters filter={filter} onChange={setFilter} activities={live.activities} counts={counts} />
          <Text as="p" color="colorTextWeak" fontSize="fontSize30" aria-live="polite" data-testid="team-count">
            Showing {shown.length} of {counts.total} workers
          </Text>
          {counts.total === 0 ? (
            <EmptyState title="No workers yet">Workers appear here as soon as they are created.</EmptyState>
          ) : shown.length === 0 ? (
            <EmptyState title="No worker matches">Change or clear the filters to see more workers.</EmptyState>
          ) : (
            <TeamGrid>
              {shown.slice(0, limit).map((row) => (
                <TeamRow key={row.sid} row={row} choices={choices} onSetActivity={setActivity} />
              ))}
            </TeamGrid>
          )}
        </Box>
      )}
    </Box>
  );
}
