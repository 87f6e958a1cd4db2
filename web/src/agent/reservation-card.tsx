/**
 * One offer or task: Accept / Reject while it is offered, Wrap up / Complete once accepted,
 * Complete while wrapping. The SDK updates the reservation in place; the desktop re-renders on its events.
 */
import { Alert } from '@twilio-paste/core/alert';
import { Badge } from '@twilio-paste/core/badge';
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import { Card } from '@twilio-paste/core/card';
import { Heading } from '@twilio-paste/core/heading';
import { Text } from '@twilio-paste/core/text';
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { Reservation } from 'twilio-taskrouter';
import { clockTime } from '../describe';

const STATUS: Record<string, { label: string; variant: 'new' | 'success' | 'warning' | 'neutral' }> = {
  pending: { label: 'Offered', variant: 'new' },
  accepted: { label: 'Accepted', variant: 'success' },
  wrapping: { label: 'Wrapping up', variant: 'warning' },
};

function summary(attributes: Record<string, unknown> | undefined): string {
  const text = JSON.stringify(attributes ?? {});
  return text === '{}' ? 'No attributes' : text;
}

export function ReservationCard({ reservation, onChanged }: { reservation: Reservation; onChanged: () => void }): ReactNode {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const task = reservation.task;
  const status = STATUS[reservation.status] ?? { label: reservation.status, variant: 'neutral' as const };
  const headingId = `reservation-heading-${reservation.sid}`;

  const act = (name: string, work: () => Promise<unknown>) => async (): Promise<void> => {
    setBusy(name);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof Error ? e.message : `Could not ${name.toLowerCase()}.`);
    } finally {
      setBusy(null);
      onChanged();
    }
  };

  return (
    <Card padding="space70" data-testid={`reservation-${reservation.sid}`} data-status={reservation.status}>
      <Box as="section" aria-labelledby={headingId}>
        <Box display="flex" alignItems="center" justifyContent="space-between" columnGap="space40" flexWrap="wrap" rowGap="space30">
          <Heading as="h3" variant="heading50" marginBottom="space0" id={headingId}>
            {task.queueName ? `${task.queueName} task` : 'Task'} {task.sid}
          </Heading>
          <Badge as="span" variant={status.variant}>{status.label}</Badge>
        </Box>
        <Text as="p" fontSize="fontSize30" color="colorTextWeak" marginTop="space20">
          {task.taskChannelUniqueName ? `${task.taskChannelUniqueName} · ` : ''}
          offered at {clockTime(reservation.dateCreated.getTime())}
        </Text>
        <Box marginY="space40" overflow="hidden" textOverflow="ellipsis">
          <Text as="code" fontFamily="fontFamilyCode" fontSize="fontSize20">{summary(task.attributes)}</Text>
        </Box>
        {error ? <Box marginBottom="space40"><Alert variant="error"><Text as="span">{error}</Text></Alert></Box> : null}
        <Box display="flex" columnGap="space40" rowGap="space30" flexWrap="wrap">
          {reservation.status === 'pending' ? (
            <>
              <Button variant="primary" loading={busy === 'Accept'} disabled={busy !== null}
                onClick={() => void act('Accept', () => reservation.accept())()}>Accept</Button>
              <Button variant="destructive_secondary" loading={busy === 'Reject'} disabled={busy !== null}
                onClick={() => void act('Reject', () => reservation.reject())()}>Reject</Button>
            </>
          ) : null}
          {reservation.status === 'accepted' ? (
            <Button variant="secondary" loading={busy === 'Wrap up'} disabled={busy !== null}
              onClick={() => void act('Wrap up', () => task.wrapUp({ reason: 'Wrapped up in the agent desktop' }))()}>Wrap up</Button>
          ) : null}
          {reservation.status === 'accepted' || reservation.status === 'wrapping' ? (
            <Button variant="primary" loading={busy === 'Complete'} disabled={busy !== null}
              onClick={() => void act('Complete', () => task.complete('Completed in the agent desktop'))()}>Complete</Button>
          ) : null}
        </Box>
      </Box>
    </Card>
  );
}
