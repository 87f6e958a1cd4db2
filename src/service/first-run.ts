/**
 * First run: one account with an auth token, one API key, one workspace with the activities
 * Flex starts with plus Break, and the logout settings at their defaults. With `demo`, the demo
 * workers alice, bob and carol too. Running it again changes nothing that already exists.
 */
import type { Account, ApiKey, Worker, Workspace } from '../core/resources.js';
import type { PresenceService } from './presence-service.js';
import type { AdminStore, PresenceStore } from './ports.js';

export const LOGOUT_ACTIVITY_NAME = 'Offline';
export const DEMO_WORKERS = ['alice', 'bob', 'carol'] as const;

export interface Installation {
  readonly account: Account;
  readonly apiKey: ApiKey;
  readonly workspace: Workspace;
  readonly workers: readonly Worker[];
  /** True when this call created the account (the first run): its auth token is shown only now. */
  readonly created: boolean;
  /** True when this call created the API key (first run, or every key had been revoked): its secret is shown only now. */
  readonly apiKeyCreated: boolean;
}

export async function ensureInstallation(
  store: AdminStore & Pick<PresenceStore, 'findWorkerByName' | 'listWorkers'>,
  presence: PresenceService,
  options: { readonly thresholdS: number; readonly demo: boolean },
): Promise<Installation> {
  let [account] = await store.listAccounts();
  const created = account === undefined;
  if (!account) account = await store.createAccount('Rollcall');
  let apiKey = (await store.listApiKeys(account.sid)).find((k) => k.revokedAt === null);
  const apiKeyCreated = apiKey === undefined;
  if (!apiKey) apiKey = await store.createApiKey(account.sid, 'Default key');
  let [workspace] = await store.listWorkspaces(account.sid);
  if (!workspace) {
    workspace = await store.createWorkspace({
      accountSid: account.sid,
      friendlyName: 'Rollcall',
      activities: [
        { friendlyName: LOGOUT_ACTIVITY_NAME, available: false },
        { friendlyName: 'Available', available: true },
        { friendlyName: 'Unavailable', available: false },
        { friendlyName: 'Break', available: false },
      ],
      logoutActivityName: LOGOUT_ACTIVITY_NAME,
      thresholdMs: options.thresholdS * 1000,
    });
  }
  if (options.demo) {
    for (const name of DEMO_WORKERS) {
      if (await store.findWorkerByName(workspace.sid, name)) continue;
      const result = await presence.createWorker({
        workspaceSid: workspace.sid,
        friendlyName: name,
        attributes: JSON.stringify({ contact_uri: `client:${name}`, skills: ['support'] }),
        actor: account.sid,
      });
      if (!result.ok) throw new Error(`creating demo worker ${name} failed: ${result.refusal.message}`);
    }
  }
  return { account, apiKey, workspace, workers: await store.listWorkers(workspace.sid), created, apiKeyCreated };
}
