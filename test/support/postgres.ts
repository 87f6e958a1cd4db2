/**
 * PostgreSQL for tests: `ROLLCALL_TEST_DATABASE_URL` names a server and database (CI sets it; when
 * it is absent the PostgreSQL suites are skipped with that reason). Each test gets a schema of
 * its own, created here and dropped with everything in it afterwards; stores reach it through
 * `-c search_path=<schema>`, so two pools on one schema are two "nodes" sharing one database.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.ROLLCALL_TEST_DATABASE_URL ?? '';
// `.ci/run` sets ROLLCALL_REQUIRE_POSTGRES=1: there a missing server fails every PostgreSQL suite
// instead of skipping it, so CI can never pass without having run them.
if (process.env.ROLLCALL_REQUIRE_POSTGRES === '1' && TEST_DATABASE_URL === '') {
  throw new Error('ROLLCALL_REQUIRE_POSTGRES=1 but ROLLCALL_TEST_DATABASE_URL is not set: the PostgreSQL suites must run here');
}
export const NO_POSTGRES = TEST_DATABASE_URL === '';
export const NO_POSTGRES_REASON = 'ROLLCALL_TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5433/rollcall_test); the PostgreSQL suites need a server';

export interface TestSchema {
  readonly url: string;
  readonly schema: string;
  /** libpq options that put a connection in this schema. */
  readonly pgOptions: string;
  /** The URL with those options in it (`?options=…`): what `ROLLCALL_DATABASE_URL` takes to run a server in this schema. */
  readonly urlInSchema: string;
  drop(): Promise<void>;
}

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    const named = url === TEST_DATABASE_URL ? `ROLLCALL_TEST_DATABASE_URL (${url})` : url;
    throw new Error(`Cannot reach PostgreSQL at ${named}: ${String(error)}. Start the server or unset the variable.`, { cause: error });
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty schema on the test server (or on `url`, a server of the test's own); `drop()` removes it with everything in it. */
export async function createTestSchema(url = TEST_DATABASE_URL): Promise<TestSchema> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await admin(url, (c) => c.query(`CREATE SCHEMA ${schema}`));
  return {
    url,
    schema,
    pgOptions: `-c search_path=${schema}`,
    urlInSchema: `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    async drop() {
      await admin(url, (c) => c.query(`DROP SCHEMA ${schema} CASCADE`));
    },
  };
}
