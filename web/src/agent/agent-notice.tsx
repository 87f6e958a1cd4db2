/**
 * Tells a returning agent what automation did to their status while they were away. Asked again
 * whenever the activity changes, so it goes away once the agent picks a status themselves.
 */
import { Alert } from '@twilio-paste/core/alert';
import { Text } from '@twilio-paste/core/text';
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { api } from '../api';
import type { AgentNotice } from '../contract';
import { automaticChangeWords } from '../describe';

export function useAgentNotice(workerSid: string | null, activityRevision: number): AgentNotice | null {
  const [notice, setNotice] = useState<AgentNotice | null>(null);
  useEffect(() => {
    if (!workerSid || activityRevision === 0) return;
    let live = true;
    api.agent.notice(workerSid).then(
      (answer) => live && setNotice(answer.notice),
      // Without the notice the desktop still works; the banner is only information.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [workerSid, activityRevision]);
  return notice;
}

export function AgentNoticeBanner({ notice }: { notice: AgentNotice }): ReactNode {
  const sentence = automaticChangeWords({
    to_activity_name: notice.activity_name, effective_at: notice.effective_at, evidence: notice.evidence, cause: notice.cause,
  });
  return (
    <Alert variant="warning">
      <Text as="span" data-testid="agent-notice">{sentence}</Text>.{' '}
      <Text as="span">Choose an activity below when you are ready to take tasks again.</Text>
    </Alert>
  );
}
