/** "Recent changes": the workspace's committed events as they arrive, newest first. */
import { Badge } from '@twilio-paste/core/badge';
import { Box } from '@twilio-paste/core/box';
import { Heading } from '@twilio-paste/core/heading';
import { Text } from '@twilio-paste/core/text';
import { memo } from 'react';
import type { ReactNode } from 'react';
import type { ChangeEvent } from '../contract';
import { causeWords, clockTime, evidenceWords } from '../describe';

const ChangeItem = memo(function ChangeItem({ change }: { change: ChangeEvent }): ReactNode {
  return (
    <Box as="li" data-seq={change.seq} paddingY="space30" borderBottomWidth="borderWidth10" borderBottomStyle="solid"
      borderBottomColor="colorBorderWeaker" display="flex" columnGap="space40" alignItems="baseline">
      <Text as="span" fontSize="fontSize20" color="colorTextWeak" whiteSpace="nowrap">{clockTime(change.at)}</Text>
      <Box>
        <Text as="span" fontSize="fontSize30">{change.description}</Text>
        {change.cause ? (
          <Box as="span" marginLeft="space30">
            <Badge as="span" size="small" variant={change.cause === 'offline-threshold' ? 'warning' : 'neutral'}>{causeWords(change.cause)}</Badge>
          </Box>
        ) : null}
        {change.evidence ? <Text as="div" fontSize="fontSize20" color="colorTextWeak">{evidenceWords(change.evidence)}</Text> : null}
      </Box>
    </Box>
  );
});

/** Memoised: re-rendered when a change arrives, not by every other live update. */
export const ChangeFeed = memo(function ChangeFeed({ changes }: { changes: readonly ChangeEvent[] }): ReactNode {
  return (
    <Box as="section" aria-labelledby="recent-changes-heading">
      <Heading as="h2" variant="heading50" id="recent-changes-heading">Recent changes</Heading>
      {changes.length === 0 ? (
        <Text as="p" color="colorTextWeak" fontSize="fontSize30">No changes since this page opened. They appear here as they happen.</Text>
      ) : (
        <Box as="ol" data-testid="change-feed" margin="space0" padding="space0" listStyleType="none" maxHeight="size30" overflowY="auto"
          tabIndex={0} aria-label="Recent changes, newest first">
          {changes.map((c) => <ChangeItem key={c.seq} change={c} />)}
        </Box>
      )}
    </Box>
  );
});
