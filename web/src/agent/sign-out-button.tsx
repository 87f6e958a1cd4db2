/**
 * "Sign out" on the agent desktop: the agent chooses to leave, so the status goes to the logout
 * activity at once (an explicit change by the agent, not an automatic one), then the session
 * ends and the page closes its connection by leaving. Closing the tab instead is a disconnection
 * and follows the logout settings.
 */
import { Button } from '@twilio-paste/core/button';
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { Worker } from 'twilio-taskrouter';
import { api, messageOf } from '../api';
import type { AgentToken } from '../contract';

export function SignOutButton({ worker, token, onError }: { worker: Worker; token: AgentToken; onError: (message: string) => void }): ReactNode {
  const [busy, setBusy] = useState(false);

  async function signOut(): Promise<void> {
    setBusy(true);
    try {
      const logout = worker.activities.get(token.logout_activity_sid);
      if (logout && worker.activity?.sid !== logout.sid) await logout.setAsCurrent();
      await api.agent.endSession();
      window.location.replace(`${window.location.pathname}?signed-out=1`);
    } catch (e) {
      onError(`Could not sign out: ${messageOf(e)}`);
      setBusy(false);
    }
  }

  return (
    <Button variant="secondary" size="small" loading={busy} onClick={() => void signOut()}>
      Sign out ({token.logout_activity_name})
    </Button>
  );
}
