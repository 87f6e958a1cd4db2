/** What counts as a disconnection, next to the settings that act on it. */
import { Callout, CalloutHeading, CalloutList, CalloutListItem, CalloutText } from '@twilio-paste/core/callout';
import { Stack } from '@twilio-paste/core/stack';
import type { ReactNode } from 'react';

export function DisconnectionHelp(): ReactNode {
  return (
    <Stack orientation="vertical" spacing="space60">
      <Callout variant="neutral" data-testid="disconnection-help">
        <CalloutHeading as="h2">When is an agent disconnected?</CalloutHeading>
        <CalloutText>An agent counts as disconnected when their desktop can no longer reach Rollcall, because:</CalloutText>
        <CalloutList as="ul">
          <CalloutListItem>the computer is shut down, or goes to sleep or hibernates;</CalloutListItem>
          <CalloutListItem>the computer loses its network connection (Wi-Fi turned off, an outage);</CalloutListItem>
          <CalloutListItem>the tab or the browser running the agent desktop is closed.</CalloutListItem>
        </CalloutList>
        <CalloutText>
          A locked computer, or one left idle, is <strong>not</strong> disconnected: the agent desktop keeps its connection.
          If the computer is set to sleep or hibernate after some time locked or idle, the agent becomes disconnected
          when that happens.
        </CalloutText>
      </Callout>
      <Callout variant="warning">
        <CalloutHeading as="h2">Align computers&apos; sleep settings with the threshold</CalloutHeading>
        <CalloutText>
          Review when your agents&apos; computers go to sleep or hibernate, so that it works with the offline threshold:
          a computer that sleeps soon after being locked logs its agent out once the threshold has passed.
        </CalloutText>
      </Callout>
    </Stack>
  );
}
