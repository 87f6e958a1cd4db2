/**
 * The engine a bench runs on. `BENCH_DATABASE_URL=postgres://…` selects PostgreSQL: the bench
 * creates a fresh schema there (`bench_<hex>`), runs the server in it through `?options=-c
 * search_path=…` (what `ROLLCALL_DATABASE_URL` takes), and drops it at the end. Unset: SQLite in
 * the bench's temp directory, as before. The orchestrator owns the schema; servers only get the URL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase {
  /** `sqlite` or `postgresql`, for the report. */
  readonly engine: 'sqlite' | 'postgresql';
  /** What to put in the server's environment (`ROLLCALL_DATABASE_URL`), empty on SQLite. */
  readonly env: Record<string, string>;
  /** The URL in the bench's schema (null on SQLite). */
  readonly urlInSchema: string | null;
  drop(): Promise<void>;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The engine `BENCH_DATABASE_URL` selects, with a fresh schema on PostgreSQL. */
export async function openBenchDatabase(url = process.env.BENCH_DATABASE_URL ?? ''): Promise<BenchDatabase> {
  if (url === '') return { engine: 'sqlite', env: {}, urlInSchema: null, drop: () => Promise.resolve() };
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`BENCH_DATABASE_URL must be a postgres:// URL, not ${url}`);
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  await withClient(url, (c) => c.query(`CREATE SCHEMA ${schema}`));
  const urlInSchema = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    engine: 'postgresql',
    env: { ROLLCALL_DATABASE_URL: urlInSchema },
    urlInSchema,
    drop: () => withClient(url, (c) => c.query(`DROP SCHEMA ${schema} CASCADE`)).then(() => undefined),
  };
}
