/**
 * Accounts, API keys, and the workspace and activity reads of the administration port on SQLite.
 * Creating an account or a key is one INSERT (its own transaction).
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Account, ApiKey } from '../../core/resources.js';
import { newSecret, newSid } from '../../service/ids.js';
import type { AdminStore, Clock } from '../../service/ports.js';
import { cachedPrepare } from './statement-cache.js';
import {
  toAccount, toActivity, toApiKey, toWorkspace, type AccountRow, type ActivityRow, type ApiKeyRow, type WorkspaceRow,
} from './rows.js';

export const ACTIVITY_SELECT = 'SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid';

type AccountQueries = Pick<AdminStore,
  'createAccount' | 'createApiKey' | 'findAccount' | 'findApiKey' | 'listAccounts' | 'listApiKeys' | 'listWorkspaces' | 'findWorkspace' | 'listActivities' | 'findActivity'>;

export function createAccountQueries(db: BetterSqlite3.Database, clock: Clock): AccountQueries {
  const prepare = cachedPrepare(db);
  const q = {
    account: prepare<[string], AccountRow>('SELECT * FROM accounts WHERE sid = ?'),
    apiKey: prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE sid = ?'),
    workspace: prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE sid = ?'),
    activities: prepare<[string], ActivityRow>(`${ACTIVITY_SELECT} WHERE a.workspace_sid = ? ORDER BY a.created_at, a.rowid`),
    activity: prepare<[string, string], ActivityRow>(`${ACTIVITY_SELECT} WHERE a.workspace_sid = ? AND a.sid = ?`),
  };
  return {
    async createAccount(friendlyName) {
      const account: Account = { sid: newSid('account'), friendlyName, authToken: newSecret(), createdAt: clock.now() };
      prepare('INSERT INTO accounts (sid, friendly_name, auth_token, created_at) VALUES (?, ?, ?, ?)').run(account.sid, friendlyName, account.authToken, account.createdAt);
      return account;
    },
    async createApiKey(accountSid, friendlyName) {
      const key: ApiKey = { sid: newSid('apiKey'), accountSid, friendlyName, secret: newSecret(), createdAt: clock.now(), revokedAt: null };
      prepare('INSERT INTO api_keys (sid, account_sid, friendly_name, secret, created_at) VALUES (?, ?, ?, ?, ?)').run(key.sid, accountSid, friendlyName, key.secret, key.createdAt);
      return key;
    },
    async findAccount(sid) {
      const row = q.account.get(sid);
      return row ? toAccount(row) : null;
    },
    async findApiKey(sid) {
      const row = q.apiKey.get(sid);
      return row ? toApiKey(row) : null;
    },
    async listAccounts() {
      return prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY created_at, rowid').all().map(toAccount);
    },
    async listApiKeys(accountSid) {
      return prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE account_sid = ? ORDER BY created_at, rowid').all(accountSid).map(toApiKey);
    },
    async listWorkspaces(accountSid) {
      const rows = accountSid === undefined
        ? prepare<[], WorkspaceRow>('SELECT * FROM workspaces ORDER BY created_at, rowid').all()
        : prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE account_sid = ? ORDER BY created_at, rowid').all(accountSid);
      return rows.map(toWorkspace);
    },
    async findWorkspace(sid) {
      const row = q.workspace.get(sid);
      return row ? toWorkspace(row) : null;
    },
    async listActivities(workspaceSid) {
      return q.activities.all(workspaceSid).map(toActivity);
    },
    async findActivity(workspaceSid, sid) {
      const row = q.activity.get(workspaceSid, sid);
      return row ? toActivity(row) : null;
    },
  };
}
