/** The console's side navigation, grouped as in Flex and TaskRouter's own console. */
import {
  SidebarNavigation, SidebarNavigationDisclosure, SidebarNavigationDisclosureContent,
  SidebarNavigationDisclosureHeading, SidebarNavigationDisclosureHeadingWrapper, SidebarNavigationItem,
} from '@twilio-paste/core/sidebar';
import { ProductContactCenterTeamsIcon } from '@twilio-paste/icons/esm/ProductContactCenterTeamsIcon';
import { ProductInsightsIcon } from '@twilio-paste/icons/esm/ProductInsightsIcon';
import { ProductSettingsIcon } from '@twilio-paste/icons/esm/ProductSettingsIcon';
import { ProductTaskRouterIcon } from '@twilio-paste/icons/esm/ProductTaskRouterIcon';
import type { ReactNode } from 'react';
import { BASE, followLink } from './router';

interface Section {
  heading: string;
  icon: ReactNode;
  pages: { page: string; label: string }[];
}

const SECTIONS: Section[] = [
  { heading: 'Manage', icon: <ProductSettingsIcon decorative />, pages: [{ page: '/settings', label: 'Logout settings' }] },
  {
    heading: 'TaskRouter',
    icon: <ProductTaskRouterIcon decorative />,
    pages: [{ page: '/activities', label: 'Activities' }, { page: '/workers', label: 'Workers' }],
  },
  { heading: 'Supervise', icon: <ProductContactCenterTeamsIcon decorative />, pages: [{ page: '/teams', label: 'Teams view (live)' }] },
  {
    heading: 'Reports',
    icon: <ProductInsightsIcon decorative />,
    pages: [
      { page: '/reports/active-user-hours', label: 'Active user hours' },
      { page: '/reports/threshold-advisor', label: 'Threshold advisor' },
      { page: '/reports/history', label: 'History' },
    ],
  },
];

export function ConsoleNavigation({ page, onNavigate }: { page: string; onNavigate: () => void }): ReactNode {
  return (
    <SidebarNavigation aria-label="Console" hierarchical id="console-navigation">
      {SECTIONS.map((section) => (
        <SidebarNavigationDisclosure key={section.heading} visible>
          <SidebarNavigationDisclosureHeadingWrapper>
            <SidebarNavigationDisclosureHeading icon={section.icon} selected={section.pages.some((p) => p.page === page)}>
              {section.heading}
            </SidebarNavigationDisclosureHeading>
          </SidebarNavigationDisclosureHeadingWrapper>
          <SidebarNavigationDisclosureContent>
            {section.pages.map((p) => (
              <SidebarNavigationItem
                key={p.page}
                href={BASE + p.page}
                selected={p.page === page}
                aria-current={p.page === page ? 'page' : undefined}
                onClick={(event) => {
                  followLink(event);
                  onNavigate();
                }}
              >
                {p.label}
              </SidebarNavigationItem>
            ))}
          </SidebarNavigationDisclosureContent>
        </SidebarNavigationDisclosure>
      ))}
    </SidebarNavigation>
  );
}
