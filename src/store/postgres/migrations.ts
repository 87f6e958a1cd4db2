/**
 * Numbered schema migrations for the PostgreSQL store. Each runs once, in order, in its own
 * transaction, and `schema_migrations` records it. Opening takes a session advisory lock keyed by
 * the schema first, so when several nodes start at once one migrates and the others wait, then
 * find nothing left to do. Never edit a released migration: add the next number.
 */
import type pg from 'pg';
import { OUTAGE_HOLD_SCHEMA } from './outage-hold.js';
import { EVENT_COMMIT_ORDER, EVENTS_NUMBERED_AT_INSERT, SCHEMA_V1 } from './schema.js';

export const MIGRATIONS: readonly string[] = [
  // 1: the whole schema as SQLite's migrations 1–11 leave it (see schema.ts).
  SCHEMA_V1,
  // 2: events numbered in commit order for the console's stream (see schema.ts).
  EVENT_COMMIT_ORDER,
  // 3: the mass-disconnect breaker (SQLite's migration 12).
  OUTAGE_HOLD_SCHEMA,
  // 4: bus payloads too large for a notification (src/bus/pg-bus.ts), kept a few minutes.
  'CREATE TABLE bus_payloads (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())',
  // 5: events numbered at insert, just before the commit; the trigger of 2 only for rows without a number.
  EVENTS_NUMBERED_AT_INSERT,
];

/** One key per schema: stores in different schemas of one database migrate independently. */
const LOCK_KEY = "hashtextextended('rollcall:migrations:' || current_schema(), 0)";

/** Applies every migration newer than the schema's last one; resolves to the numbers applied. */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query(`SELECT pg_advisory_lock(${LOCK_KEY})`);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())');
      const current = (await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0;
      if (current > MIGRATIONS.length) {
        throw new Error(`the database schema is at migration ${current}, newer than this build knows (${MIGRATIONS.length}); run a newer Rollcall`);
      }
      for (let i = current; i < MIGRATIONS.length; i++) {
        await client.query('BEGIN');
        try {
          await client.query(MIGRATIONS[i] ?? '');
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`PostgreSQL migration ${i + 1} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        applied.push(i + 1);
      }
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`);
    }
  } finally {
    client.release();
  }
  return applied;
}
