import { Anchor } from '@twilio-paste/core/anchor';
import type { ReactNode } from 'react';
import { EmptyState } from '../shell/page-states';
import { BASE, followLink } from '../shell/router';

export function NotFoundPage(): ReactNode {
  return (
    <EmptyState title="There is no such page">
      The console has no page at this address. Go to the <Anchor href={`${BASE}/settings`} onClick={followLink}>logout settings</Anchor>.
    </EmptyState>
  );
}
