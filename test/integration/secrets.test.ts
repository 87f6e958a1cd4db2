/**
 * Secrets (issue 9 item 9): the data directory is owner-only (0700) and so are the database, its
 * WAL and its shared-memory file (0600); `serve` prints the auth token and key secret only on the
 * start that created them; `credentials` prints them only with --show-secrets; no log line ever
 * carries a secret, whatever the server did while logging at trace level.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger, redactUrl } from '../../src/log.js';
import { createRollcall } from '../../src/main.js';
import { FAST_LIVENESS, sdkWorker, tempDataDir } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';
import { accountCredentials, keyCredentials, restClient } from './rest-support.js';
import { issueAccessToken } from '../../src/service/access-tokens.js';

const CLI = path.resolve('dist/src/cli.js');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const modeOf = (file: string): number => statSync(file).mode & 0o777;

function run(args: string[], env: Record<string, string>, untilOutput?: string): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => (untilOutput || code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
    if (untilOutput) {
      void waitFor('the server banner', () => out.includes(untilOutput) && out.includes('Console:'), 15_000).then(() => child.kill('SIGTERM'), reject);
    }
  });
}

describe('files', () => {
  it('creates the data directory 0700 and the database, WAL and shared-memory files 0600', async () => {
    const parent = tempDataDir();
    dirs.push(parent);
    const dataDir = path.join(parent, 'data');
    const rollcall = await createRollcall(loadConfig({ PORT: '0', ROLLCALL_DATA_DIR: dataDir, ...FAST_LIVENESS }), { logger: createLogger('silent') });
    try {
      expect(modeOf(dataDir)).toBe(0o700);
      const db = rollcall.config.databaseFile;
      for (const file of [db, `${db}-wal`, `${db}-shm`]) {
        expect(existsSync(file)).toBe(true);
        expect(modeOf(file)).toBe(0o600);
      }
    } finally {
      await rollcall.close();
    }
  });
});

describe('the CLI shows secrets once', () => {
  it('prints them on the first start only, and credentials prints them only with --show-secrets', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const env = { ...FAST_LIVENESS, PORT: '0', ROLLCALL_DATA_DIR: dataDir, ROLLCALL_LOG_LEVEL: 'warn' };
    const first = await run(['serve'], env, 'Rollcall is listening');
    const secrets = JSON.parse(await run(['credentials', '--json', '--show-secrets'], env)) as { auth_token: string; api_key_secret: string };
    expect(secrets.auth_token).toMatch(/^[0-9a-f]{32,}$/);
    expect(first).toContain(secrets.auth_token);
    expect(first).toContain(secrets.api_key_secret);
    const second = await run(['serve'], env, 'Rollcall is listening');
    expect(second).not.toContain(secrets.auth_token);
    expect(second).not.toContain(secrets.api_key_secret);
    expect(second).toContain('shown only when it was created');
    for (const args of [['credentials'], ['credentials', '--json']]) {
      const out = await run(args, env);
      expect(out).toContain('AC');
      expect(out).not.toContain(secrets.auth_token);
      expect(out).not.toContain(secrets.api_key_secret);
    }
  }, 60_000);
});

describe('logs', () => {
  it('redacts secret fields and credential-bearing query values', () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
    log.info({ authToken: 'AUTH1', apiKey: { secret: 'SECRET1' }, url: '/v1/wschannels?token=JWT1&closeExistingSessions=true' }, 'x');
    log.info({ req: { method: 'GET', url: '/console/agent?link=LINK1', headers: { authorization: 'Basic QQ' } } }, 'y');
    log.info({ headers: { authorization: 'Basic BB', cookie: 'rollcall_admin=C1' } }, 'z');
    const all = lines.join('');
    for (const secret of ['AUTH1', 'SECRET1', 'JWT1', 'LINK1', 'Basic QQ', 'Basic BB', 'C1']) expect(all).not.toContain(secret);
    expect(all).toContain('closeExistingSessions=true');
    expect(redactUrl('/x?a=1&Token=abc#f')).toBe('/x?a=1&Token=[redacted]#f');
  });

  it('never writes a secret while the server works at trace level', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const lines: string[] = [];
    const logger = createLogger('trace', new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
    const rollcall = await createRollcall(loadConfig({ PORT: '0', ROLLCALL_DATA_DIR: dataDir, ...FAST_LIVENESS }), { demo: true, logger });
    const url = await rollcall.listen();
    const { account, apiKey, workspace, workers } = rollcall.installation;
    const token = await issueAccessToken({ accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid, workerSid: workers[0]?.sid ?? '', identity: 'alice', ttlS: 600, nowMs: Date.now() });
    try {
      const worker = sdkWorker(token, url);
      await once(worker, 'ready');
      await restClient(url, accountCredentials({ rollcall })).taskrouter.v1.workspaces(workspace.sid).workers.list();
      await restClient(url, keyCredentials({ rollcall })).taskrouter.v1.workspaces(workspace.sid).fetch();
      await fetch(`${url}/console/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url, 'x-rollcall-csrf': '1' }, body: JSON.stringify({ username: account.sid, password: account.authToken }) });
      worker.disconnect();
    } finally {
      await rollcall.close();
    }
    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join('');
    for (const secret of [account.authToken, apiKey.secret, token, token.split('.')[2] ?? 'unused']) expect(all).not.toContain(secret);
  }, 30_000);
});
