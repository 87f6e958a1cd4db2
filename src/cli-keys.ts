/**
 * `rollcall keys list | create [name] | revoke SK…`: the API keys of the installation's account,
 * read and written straight in the data directory (safe while a server runs: SQLite WAL, and the
 * server looks keys up on every request, so a revoked key stops working at once).
 */
import { parseArgs } from 'node:util';
import type { ApiKey } from './core/resources.js';
import { ApiKeys, type Principal } from './service/credentials.js';
import type { Store } from './service/ports.js';

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

export const KEYS_USAGE = `  keys list [--json]             list the account's active API keys
  keys create [name] [--json]    create an API key and print its secret (shown only once)
  keys revoke <SK…>              revoke an API key: REST calls and access tokens signed with it stop working`;

const describeKey = (k: ApiKey): string => `${k.sid}  ${new Date(k.createdAt).toISOString()}  ${k.friendlyName}`;

/** Runs a `keys` subcommand; returns the exit code. */
export async function keysCommand(store: Store, args: readonly string[], io: CliOutput): Promise<number> {
  const [sub, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (error) {
    return refused(io, `keys ${sub ?? ''}: ${(error as Error).message}`);
  }
  const json = parsed.values.json === true;
  const positional = parsed.positionals;
  const [account] = await store.listAccounts();
  if (!account) {
    io.err('rollcall: the data directory has no account yet; start the server once to create it');
    return 1;
  }
  // The CLI runs with the data directory's full authority: the account's own.
  const principal: Principal = { accountSid: account.sid, credentialSid: account.sid, kind: 'account' };
  const keys = new ApiKeys(store);
  switch (sub) {
    case 'list': {
      const listed = await keys.list(principal);
      if (!listed.ok) return refused(io, listed.refusal.message);
      if (json) io.out(JSON.stringify(listed.value.map((k) => ({ sid: k.sid, friendly_name: k.friendlyName, date_created: new Date(k.createdAt).toISOString() })), null, 2));
      else for (const k of listed.value) io.out(describeKey(k));
      return 0;
    }
    case 'create': {
      const created = await keys.create(principal, positional.join(' ') || 'CLI key');
      if (!created.ok) return refused(io, created.refusal.message);
      const k = created.value;
      if (json) io.out(JSON.stringify({ sid: k.sid, friendly_name: k.friendlyName, secret: k.secret, account_sid: k.accountSid }, null, 2));
      else io.out(`API key         ${k.sid}\nAPI key secret  ${k.secret}\nName            ${k.friendlyName}\n\nThe secret is shown only now; keep it somewhere safe.`);
      return 0;
    }
    case 'revoke': {
      const [sid] = positional;
      if (!sid) return refused(io, 'keys revoke needs the SID of the key, e.g. rollcall keys revoke SK0123…');
      const revoked = await keys.revoke(principal, sid);
      if (!revoked.ok) return refused(io, revoked.refusal.message);
      io.out(`Revoked ${describeKey(revoked.value)}`);
      const left = await keys.list(principal);
      if (left.ok && left.value.length === 0) io.err('Note: no active API key is left; `rollcall serve` creates a new default key when it starts.');
      return 0;
    }
    default:
      io.err(`rollcall: keys needs list, create or revoke\n\n${KEYS_USAGE}`);
      return 2;
  }
}

function refused(io: CliOutput, message: string): number {
  io.err(`rollcall: ${message}`);
  return 1;
}
