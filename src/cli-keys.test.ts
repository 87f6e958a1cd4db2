import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keysCommand } from './cli-keys.js';
import { authenticate } from './service/credentials.js';
import { ManualClock } from './service/clocks.js';
import type { Store } from './service/ports.js';
import { createSqliteStore } from './store/sqlite/sqlite-store.js';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-keys-'));
  store = createSqliteStore({ file: path.join(dir, 'rollcall.sqlite'), clock: new ManualClock() });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await keysCommand(store, args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('rollcall keys', () => {
  it('refuses to run before the server created an account', async () => {
    expect(await run('list')).toMatchObject({ code: 1, err: [expect.stringMatching(/no account yet/)] });
  });

  it('refuses an unknown or misspelt flag with its name, and creates nothing', async () => {
    const account = await store.createAccount('Test');
    expect(await run('create', 'Nightly', '--jsn')).toMatchObject({ code: 1, err: [expect.stringMatching(/keys create: Unknown option '--jsn'/)] });
    expect(await store.listApiKeys(account.sid)).toEqual([]);
  });

  it('creates a key whose secret authenticates, lists it without the secret, and revokes it', async () => {
    const account = await store.createAccount('Test');
    const created = await run('create', 'Nightly', 'export', '--json');
    expect(created.code).toBe(0);
    const key = JSON.parse(created.out[0] ?? '{}') as { sid: string; secret: string; friendly_name: string };
    expect(key).toMatchObject({ sid: expect.stringMatching(/^SK[0-9a-f]{32}$/), friendly_name: 'Nightly export' });
    expect(await authenticate(store, key.sid, key.secret)).toMatchObject({ accountSid: account.sid, kind: 'api_key' });

    const listed = await run('list');
    expect(listed.out).toEqual([expect.stringMatching(new RegExp(`^${key.sid}  \\d{4}-.*Z  Nightly export$`))]);
    expect(listed.out.join('\n')).not.toContain(key.secret);

    const revoked = await run('revoke', key.sid);
    expect(revoked.code).toBe(0);
    expect(revoked.err).toEqual([expect.stringMatching(/no active API key is left/)]);
    expect(await authenticate(store, key.sid, key.secret)).toBeNull();
    expect((await run('list')).out).toEqual([]);
  });

  it('refuses unknown keys and subcommands', async () => {
    await store.createAccount('Test');
    expect(await run('revoke', `SK${'0'.repeat(32)}`)).toMatchObject({ code: 1, err: [expect.stringMatching(/API key SK0+ was not found/)] });
    expect(await run('revoke')).toMatchObject({ code: 1 });
    expect(await run('rotate')).toMatchObject({ code: 2 });
    expect(await run('create', 'x'.repeat(65))).toMatchObject({ code: 1, err: [expect.stringMatching(/FriendlyName/)] });
  });
});
