/**
 * Every page's header: where it sits in the console, its title, what it is for, and its actions.
 * On a narrow window the actions move under the text instead of squeezing the title.
 */
import { Box } from '@twilio-paste/core/box';
import { PageHeader, PageHeaderActions, PageHeaderDetails, PageHeaderHeading, PageHeaderKeyword, PageHeaderParagraph } from '@twilio-paste/core/page-header';
import type { ReactNode } from 'react';
import { useMediaQuery } from './use-media-query';

export function PageTitle({ section, title, children, actions }: {
  section: string;
  title: string;
  children?: ReactNode;
  actions?: ReactNode;
}): ReactNode {
  const narrow = useMediaQuery('(max-width: 767px)');
  return (
    <PageHeader size="compact">
      <PageHeaderDetails>
        <PageHeaderKeyword>{section}</PageHeaderKeyword>
        <PageHeaderHeading>{title}</PageHeaderHeading>
        {actions && !narrow ? <PageHeaderActions>{actions}</PageHeaderActions> : null}
        {children ? <PageHeaderParagraph>{children}</PageHeaderParagraph> : null}
      </PageHeaderDetails>
      {actions && narrow ? <Box marginBottom="space60">{actions}</Box> : null}
    </PageHeader>
  );
}
