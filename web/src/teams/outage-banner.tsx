/**
 * The mass-disconnect breaker's alert on the live pages: while an outage hold runs, how many
 * agents dropped, how many logouts it postpones and until when, and the button that ends it
 * early (held agents get their ordinary due times back: those past their threshold are logged
 * out at once). Drawn from the live stream's settings, so it appears and goes within a second.
 */
import { Alert } from '@twilio-paste/core/alert';
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import { Text } from '@twilio-paste/core/text';
import { useState } from 'react';
import type { ReactNode } from 'react';
import { api, ApiError, messageOf } from '../api';
import type { OutageHold } from '../contract';
import { clockTime, plural } from '../describe';
import { useToast } from '../shell/toasts';
import { Until } from './clock';

export function OutageBanner({ hold }: { hold: OutageHold | null }): ReactNode {
  const [ending, setEnding] = useState(false);
  const toast = useToast();
  if (!hold) return null;
  const before = hold.disconnections + hold.connected_workers;

  async function end(): Promise<void> {
    setEnding(true);
    try {
      await api.settings.endOutageHold();
      toast({ variant: 'success', message: 'Outage hold ended: held agents are back on their ordinary offline threshold.' });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) toast({ variant: 'error', message: messageOf(e) });
    } finally {
      setEnding(false);
    }
  }

  return (
    <Box marginBottom="space60" data-testid="outage-banner" data-hold-sid={hold.sid}>
      <Alert variant="warning">
        <Box display="flex" alignItems="center" justifyContent="space-between" columnGap="space60" flexWrap="wrap" rowGap="space40">
          <Text as="span">
            <strong>Mass disconnect: automatic logouts are on hold.</strong>{' '}
            {hold.disconnections} of {before} agents dropped at {clockTime(hold.tripped_at)}.{' '}
            <span data-testid="outage-held">{plural(hold.held_workers, 'agent')} still held</span>; those still gone are logged out in{' '}
            <Until at={hold.until_at} testId="outage-until" /> unless you end the hold first. Agents who come back keep their status.
          </Text>
          <Button variant="secondary" size="small" loading={ending} onClick={() => void end()}>
            End hold now
          </Button>
        </Box>
      </Alert>
    </Box>
  );
}
