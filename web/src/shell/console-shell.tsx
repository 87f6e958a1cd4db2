/**
 * The admin console's frame: side navigation, a top bar with the workspace and sign-out, and the
 * page. On a narrow window the navigation folds away behind a menu button.
 */
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import {
  Sidebar, SidebarBody, SidebarFooter, SidebarHeader, SidebarHeaderIconButton, SidebarHeaderLabel, SidebarPushContentWrapper,
} from '@twilio-paste/core/sidebar';
import { Text } from '@twilio-paste/core/text';
import { Topbar, TopbarActions } from '@twilio-paste/core/topbar';
import { Truncate } from '@twilio-paste/core/truncate';
import { MenuIcon } from '@twilio-paste/icons/esm/MenuIcon';
import { ProductFlexIcon } from '@twilio-paste/icons/esm/ProductFlexIcon';
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useSession } from '../session/session';
import { ConsoleNavigation } from './navigation';
import { LoadError } from './page-states';
import { BASE, followLink } from './router';
import { useMediaQuery } from './use-media-query';

export function ConsoleShell({ page, children }: { page: string; children: ReactNode }): ReactNode {
  const narrow = useMediaQuery('(max-width: 767px)');
  const [menuOpen, setMenuOpen] = useState(false);
  const { session, error, retry, signOut } = useSession();
  const collapsed = narrow && !menuOpen;

  return (
    <Box minHeight="100vh">
      <Sidebar
        collapsed={collapsed}
        variant="default"
        mainContentSkipLinkID="main"
        sidebarNavigationSkipLinkID="console-navigation"
        topbarSkipLinkID="topbar"
        aria-hidden={collapsed ? true : undefined}
        inert={collapsed ? true : undefined}
      >
        <SidebarHeader>
          <SidebarHeaderIconButton as="a" href={`${BASE}/settings`} onClick={followLink}>
            <ProductFlexIcon decorative={false} title="Rollcall console home" />
          </SidebarHeaderIconButton>
          <SidebarHeaderLabel>Rollcall</SidebarHeaderLabel>
        </SidebarHeader>
        <SidebarBody>
          <ConsoleNavigation page={page} onNavigate={() => setMenuOpen(false)} />
        </SidebarBody>
        {narrow ? (
          <SidebarFooter>
            <Button variant="inverse" size="small" onClick={() => setMenuOpen(false)}>Close navigation</Button>
          </SidebarFooter>
        ) : null}
      </Sidebar>
      <SidebarPushContentWrapper collapsed={narrow}>
        <Topbar id="topbar">
          {/* Not TopbarActions: this side must shrink, so a long workspace name truncates instead of
              pushing Sign out off a narrow window. */}
          <Box display="flex" alignItems="center" columnGap="space50" minWidth="0" flexShrink={1}>
            {narrow ? (
              <Button variant="secondary" size="icon_small" onClick={() => setMenuOpen(true)} aria-expanded={menuOpen}>
                <MenuIcon decorative={false} title="Open navigation" />
              </Button>
            ) : null}
            <Box minWidth="0" fontWeight="fontWeightSemibold" data-testid="workspace-name">
              <Truncate title={session?.workspace.friendly_name ?? 'Rollcall'}>{session?.workspace.friendly_name ?? 'Rollcall'}</Truncate>
            </Box>
          </Box>
          <TopbarActions justify="end">
            {session && !narrow ? (
              <Text as="span" color="colorTextWeak" fontSize="fontSize20" title={session.kind === 'api_key' ? 'API key' : 'Account'}>
                {session.credential_sid}
              </Text>
            ) : null}
            <Button variant="secondary" size="small" onClick={() => void signOut()}>Sign out</Button>
          </TopbarActions>
        </Topbar>
        <Box as="main" id="main" tabIndex={-1} paddingX={['space50', 'space90']} paddingY="space90">
          {error ? <LoadError error={error} onRetry={retry} what="your session" /> : null}
          {session ? children : null}
        </Box>
      </SidebarPushContentWrapper>
    </Box>
  );
}
