/**
 * Which screen a path shows. Sign-in and the agent desktop stand alone; every other page sits
 * in the admin shell. The agent desktop is loaded on demand: it carries the Worker SDK.
 */
import { Box } from '@twilio-paste/core/box';
import { Spinner } from '@twilio-paste/core/spinner';
import { CustomizationProvider } from '@twilio-paste/core/customization';
import { lazy, Suspense, useEffect } from 'react';
import type { ComponentType, ReactNode } from 'react';
import { ActivitiesPage } from './pages/activities';
import { NotFoundPage } from './pages/not-found';
import { SettingsPage } from './pages/settings';
import { SignInPage } from './pages/sign-in';
import { TeamsPage } from './pages/teams';
import { WorkersPage } from './pages/workers';
import { SessionProvider } from './session/session';
import { ConsoleShell } from './shell/console-shell';
import { BASE, navigate, pageOf, useLocation } from './shell/router';
import { ToastProvider } from './shell/toasts';

const AgentPage = lazy(() => import('./pages/agent'));
// The reports carry ECharts: loaded when a report is first opened, so other pages stay small.
const ActiveUserHoursPage = lazy(() => import('./pages/report-hours'));
const ThresholdAdvisorPage = lazy(() => import('./pages/report-advisor'));
const HistoryPage = lazy(() => import('./pages/report-history'));

const lazyPage = (Page: ComponentType, what: string) => (
  <Suspense fallback={<Box padding="space100"><Spinner decorative={false} title={`Loading ${what}`} size="sizeIcon70" /></Box>}>
    <Page />
  </Suspense>
);

/**
 * Paste's default theme, with font stacks that need no download. Theme.Provider adds @font-face
 * rules that fetch Inter from assets.twilio.com: a self-hosted console must not call a third
 * party (and offline the failed fetches fill the browser console). Inter is still used when the
 * machine has it installed.
 */
const SYSTEM_SANS = "'Inter var', Inter, -apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Oxygen-Sans, Ubuntu, Cantarell, 'Helvetica Neue', sans-serif";
const SELF_HOSTED_FONTS = {
  fonts: {
    fontFamilyText: SYSTEM_SANS,
    fontFamilyDisplay: SYSTEM_SANS,
    fontFamilyCode: "ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, Consolas, monospace",
  },
};

const ADMIN_PAGES: Record<string, { title: string; render: () => ReactNode }> = {
  '/settings': { title: 'Logout settings', render: () => <SettingsPage /> },
  '/activities': { title: 'Activities', render: () => <ActivitiesPage /> },
  '/workers': { title: 'Workers', render: () => <WorkersPage /> },
  '/teams': { title: 'Teams view', render: () => <TeamsPage /> },
  '/reports/active-user-hours': { title: 'Active user hours', render: () => lazyPage(ActiveUserHoursPage, 'the report') },
  '/reports/threshold-advisor': { title: 'Threshold advisor', render: () => lazyPage(ThresholdAdvisorPage, 'the advisor') },
  '/reports/history': { title: 'History', render: () => lazyPage(HistoryPage, 'the history') },
};

function Screen({ page }: { page: string }): ReactNode {
  if (page === '/sign-in') return <SignInPage />;
  if (page === '/agent') {
    return (
      <Suspense fallback={<Box padding="space100"><Spinner decorative={false} title="Loading the agent desktop" size="sizeIcon70" /></Box>}>
        <AgentPage />
      </Suspense>
    );
  }
  const admin = ADMIN_PAGES[page];
  return (
    <SessionProvider>
      <ConsoleShell page={page}>{admin ? admin.render() : <NotFoundPage />}</ConsoleShell>
    </SessionProvider>
  );
}

export function App(): ReactNode {
  const location = useLocation();
  const page = pageOf(location);

  useEffect(() => {
    if (page === '/') navigate(`${BASE}/settings`, { replace: true });
  }, [page]);

  useEffect(() => {
    const title = page === '/sign-in' ? 'Sign in' : page === '/agent' ? 'Agent desktop' : ADMIN_PAGES[page]?.title ?? 'Not found';
    document.title = `${title} · Rollcall`;
  }, [page]);

  return (
    <CustomizationProvider baseTheme="default" theme={SELF_HOSTED_FONTS}>
      <ToastProvider>{page === '/' ? null : <Screen page={page} />}</ToastProvider>
    </CustomizationProvider>
  );
}
