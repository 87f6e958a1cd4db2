/**
 * A PostgreSQL server of a test's own, for what the shared test server must never undergo: being
 * stopped or restarted. It is `.ci/postgres` (initdb + pg_ctl as the `postgres` user, a temp
 * directory, the first free port from 25432, below Linux's ephemeral range), driven from the test:
 * `down` (a fast shutdown: every session is terminated), `up`, `restart`, and `remove` at the end.
 *
 * Where the binaries are missing, or this user cannot act as `postgres`, the suites that need it
 * are skipped with that reason; under `ROLLCALL_REQUIRE_POSTGRES=1` (CI) they fail instead.
 */
import { execFile } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../.ci/postgres', import.meta.url));
const ROOT = '/usr/lib/postgresql';

function unavailableReason(): string | null {
  const versions = existsSync(ROOT) ? readdirSync(ROOT).filter((v) => existsSync(`${ROOT}/${v}/bin/initdb`)) : [];
  if (versions.length === 0) return `no PostgreSQL server binaries under ${ROOT} (Debian: apt-get install postgresql)`;
  if (process.getuid?.() !== 0 && os.userInfo().username !== 'postgres') return 'initdb and pg_ctl must run as the postgres user: run the tests as root or as postgres';
  return null;
}

/** Why a throwaway server cannot be started here, or null when it can. */
export const NO_THROWAWAY_POSTGRES_REASON = unavailableReason();
if (process.env.ROLLCALL_REQUIRE_POSTGRES === '1' && NO_THROWAWAY_POSTGRES_REASON !== null) {
  throw new Error(`ROLLCALL_REQUIRE_POSTGRES=1 but a throwaway PostgreSQL server cannot be started: ${NO_THROWAWAY_POSTGRES_REASON}`);
}
export const NO_THROWAWAY_POSTGRES = NO_THROWAWAY_POSTGRES_REASON !== null;

export interface ThrowawayPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust auth. */
  readonly url: string;
  readonly dir: string;
  /** `pg_ctl stop -m fast`: every session is terminated (57P01), then the server is gone. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** `pg_ctl restart -m fast`. */
  restart(): Promise<void>;
  /** Stops it (if up) and removes its directory. */
  remove(): Promise<void>;
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  // The shared server's variables must not leak into the script: it names its own cluster.
  const env = { ...process.env, ROLLCALL_TEST_PG_DIR: '', ROLLCALL_TEST_PG_PORT: '' };
  const { stdout } = await run('bash', [SCRIPT, 'start'], { env, timeout: 120_000 });
  const url = /ROLLCALL_TEST_DATABASE_URL=(\S+)/.exec(stdout)?.[1];
  const dir = /ROLLCALL_TEST_PG_DIR=(\S+)/.exec(stdout)?.[1];
  if (!url || !dir) throw new Error(`.ci/postgres start printed no server: ${stdout}`);
  const step = async (command: string): Promise<void> => {
    await run('bash', [SCRIPT, command], { env: { ...process.env, ROLLCALL_TEST_PG_DIR: dir }, timeout: 120_000 });
  };
  return { url, dir, down: () => step('down'), up: () => step('up'), restart: () => step('restart'), remove: () => step('stop') };
}
