/** The loading, error and empty states every page shares, so they look the same everywhere. */
import { Alert } from '@twilio-paste/core/alert';
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import { Card } from '@twilio-paste/core/card';
import { Heading } from '@twilio-paste/core/heading';
import { Paragraph } from '@twilio-paste/core/paragraph';
import { SkeletonLoader } from '@twilio-paste/core/skeleton-loader';
import { Stack } from '@twilio-paste/core/stack';
import { Text } from '@twilio-paste/core/text';
import type { ReactNode } from 'react';
import { messageOf } from '../api';

export function LoadingRows({ rows = 5, label }: { rows?: number; label: string }): ReactNode {
  return (
    <Box aria-busy="true" aria-live="polite" role="status">
      <Text as="span" fontSize="fontSize20" color="colorTextWeak">{label}</Text>
      <Stack orientation="vertical" spacing="space40">
        {Array.from({ length: rows }, (_, i) => <SkeletonLoader key={i} height="sizeIcon70" />)}
      </Stack>
    </Box>
  );
}

export function LoadError({ error, onRetry, what }: { error: unknown; onRetry: () => void; what: string }): ReactNode {
  return (
    <Alert variant="error">
      <Stack orientation="vertical" spacing="space30">
        <Text as="p" fontWeight="fontWeightSemibold">Could not load {what}.</Text>
        <Text as="p">{messageOf(error)}</Text>
        <Box>
          <Button variant="secondary" size="small" onClick={onRetry}>Try again</Button>
        </Box>
      </Stack>
    </Alert>
  );
}

export function EmptyState({ title, children, action }: { title: string; children: ReactNode; action?: ReactNode }): ReactNode {
  return (
    <Card padding="space100">
      <Box textAlign="center" maxWidth="size60" marginX="auto">
        <Heading as="h2" variant="heading40">{title}</Heading>
        <Paragraph>{children}</Paragraph>
        {action}
      </Box>
    </Card>
  );
}
