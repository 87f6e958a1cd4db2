/**
 * The agent desktop (/console/agent): the agent's status, connection and tasks, on the official
 * twilio-taskrouter Worker SDK. Loaded as its own chunk; it stands outside the admin shell.
 */
import { Alert } from '@twilio-paste/core/alert';
import { Badge } from '@twilio-paste/core/badge';
import { Box } from '@twilio-paste/core/box';
import { Card } from '@twilio-paste/core/card';
import { Heading } from '@twilio-paste/core/heading';
import { Paragraph } from '@twilio-paste/core/paragraph';
import { SkeletonLoader } from '@twilio-paste/core/skeleton-loader';
import { Stack } from '@twilio-paste/core/stack';
import { StatusBadge } from '@twilio-paste/core/status';
import { Text } from '@twilio-paste/core/text';
import { Topbar, TopbarActions } from '@twilio-paste/core/topbar';
import { AgentIcon } from '@twilio-paste/icons/esm/AgentIcon';
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { Reservation } from 'twilio-taskrouter';
import { ActivityPicker } from '../agent/activity-picker';
import { AgentNoticeBanner, useAgentNotice } from '../agent/agent-notice';
import { ReservationCard } from '../agent/reservation-card';
import { SignOutButton } from '../agent/sign-out-button';
import { useAgentWorker } from '../agent/use-agent-worker';
import type { AgentConnection, AgentState } from '../agent/use-agent-worker';
import { EmptyState } from '../shell/page-states';

const OPEN = new Set(['pending', 'accepted', 'wrapping']);

function ConnectionBadge({ connection }: { connection: AgentConnection }): ReactNode {
  const [variant, text] = connection === 'connected'
    ? ['ConnectivityAvailable', 'Connected'] as const
    : connection === 'reconnecting' ? ['ConnectivityBusy', 'Reconnecting…'] as const : ['ConnectivityNeutral', 'Connecting…'] as const;
  return (
    <Box role="status" aria-live="polite">
      <StatusBadge as="span" variant={variant} data-testid="agent-connection" data-connection={connection}>{text}</StatusBadge>
    </Box>
  );
}

function Problem({ state }: { state: AgentState }): ReactNode {
  const signedOut = state.phase === 'signed-out';
  const byChoice = signedOut && new URLSearchParams(window.location.search).has('signed-out');
  return (
    <EmptyState title={byChoice ? 'You signed out' : signedOut ? 'You are not signed in' : 'The agent desktop could not start'}>
      <Text as="span" display="block" marginBottom="space40">
        {state.problem ?? 'Open the agent desktop with the sign-in link your admin sent you.'}
      </Text>
      {signedOut
        ? 'Admins create sign-in links on the Workers page, or with npx rollcall agent-link <worker>.'
        : 'Reload the page to try again.'}
    </EmptyState>
  );
}

function Desk({ state }: { state: AgentState }): ReactNode {
  const { worker, token } = state;
  const notice = useAgentNotice(token?.worker_sid ?? null, state.activityRevision);
  if (!worker || !token) return null;
  const ready = state.activityRevision > 0;
  const reservations = ready
    ? [...(worker.reservations.values() as Iterable<Reservation>)].filter((r) => OPEN.has(r.status))
      .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime())
    : [];
  return (
    <Stack orientation="vertical" spacing="space70">
      {notice ? <AgentNoticeBanner notice={notice} /> : null}
      {state.connection === 'reconnecting' ? (
        <Alert variant="warning">
          <Text as="span">Connection lost. Reconnecting… Your status stays as it is if you are back within the offline threshold.</Text>
        </Alert>
      ) : null}
      <Card padding="space80">
        <Box display="flex" justifyContent="space-between" alignItems="flex-start" columnGap="space60" rowGap="space50" flexWrap="wrap">
          {ready ? <ActivityPicker worker={worker} ready={ready} /> : <Box width="size30"><SkeletonLoader height="sizeIcon90" /></Box>}
          <ConnectionBadge connection={state.connection} />
        </Box>
      </Card>
      <Box as="section" aria-labelledby="tasks-heading">
        <Heading as="h2" variant="heading40" id="tasks-heading">Tasks</Heading>
        {reservations.length === 0 ? (
          <Paragraph>
            <Text as="span" color="colorTextWeak" data-testid="no-reservations">
              {ready ? 'No tasks right now. Offers appear here while you are in an activity that takes tasks.' : 'Loading your tasks…'}
            </Text>
          </Paragraph>
        ) : (
          <Stack orientation="vertical" spacing="space50">
            {reservations.map((r) => <ReservationCard key={r.sid} reservation={r} onChanged={() => undefined} />)}
          </Stack>
        )}
      </Box>
    </Stack>
  );
}

export default function AgentPage(): ReactNode {
  const state = useAgentWorker();
  const [signOutError, setSignOutError] = useState<string | null>(null);
  const name = state.token?.friendly_name;
  return (
    <Box minHeight="100vh" backgroundColor="colorBackgroundBody">
      <Topbar id="topbar">
        <TopbarActions justify="start">
          <Box display="flex" alignItems="center" columnGap="space30" whiteSpace="nowrap">
            <AgentIcon decorative size="sizeIcon50" />
            <Text as="span" fontWeight="fontWeightSemibold">Agent desktop</Text>
          </Box>
        </TopbarActions>
        <TopbarActions justify="end">
          {name ? <Text as="span" fontWeight="fontWeightSemibold" data-testid="agent-name">{name}</Text> : null}
          {state.asAdmin ? (
            <Badge as="span" variant="decorative30" title="An admin opened this desktop to act as the worker">Admin acting</Badge>
          ) : null}
          {!state.asAdmin && state.phase === 'running' && state.worker && state.token && state.activityRevision > 0
            ? <SignOutButton worker={state.worker} token={state.token} onError={setSignOutError} />
            : null}
        </TopbarActions>
      </Topbar>
      <Box as="main" id="main" maxWidth="size80" marginX="auto" paddingX={['space50', 'space90']} paddingY="space90">
        <Heading as="h1" variant="heading20">{name ? `Hello, ${name}` : 'Agent desktop'}</Heading>
        {signOutError ? <Box marginBottom="space60"><Alert variant="error"><Text as="span">{signOutError}</Text></Alert></Box> : null}
        {state.phase === 'starting' ? (
          <Stack orientation="vertical" spacing="space50">
            <Text as="span" role="status">Signing you in…</Text>
            <SkeletonLoader height="sizeIcon110" />
            <SkeletonLoader height="sizeIcon110" />
          </Stack>
        ) : state.phase === 'running' ? <Desk state={state} /> : <Problem state={state} />}
        {state.lastError && state.connection !== 'connected' ? (
          <Box marginTop="space60"><Text as="p" color="colorTextWeak" fontSize="fontSize20">Last problem: {state.lastError}</Text></Box>
        ) : null}
      </Box>
    </Box>
  );
}
