/**
 * The routing e2e bench's view of the store, from the orchestrator's own connection: a read-only
 * SQLite connection to the server's file (WAL readers never block its writer), or a PostgreSQL
 * client in the bench's schema. Same statements on both; the server pays nothing for them.
 */
import Database from 'better-sqlite3';
import pg from 'pg';

export interface ReservationRow { sid: string; task_sid: string; worker_sid: string; status: string; created_at: number; updated_at: number }

export interface StoreReader {
  reservations(): Promise<ReservationRow[]>;
  heartbeatLost(): Promise<{ n: number; first: number | null; last: number | null }>;
  /** Workers logged out by the offline threshold, with when the logout committed. */
  logouts(): Promise<Map<string, number>>;
  /** Reservations created after their worker's logout committed (rule 7: must be 0). */
  offersAfterLogout(): Promise<number>;
  close(): Promise<void>;
}

/** In creation order: insertion order breaks ties (SQLite's rowid, PostgreSQL's seq). */
const reservationsIn = (order: string): string => `SELECT sid, task_sid, worker_sid, status, created_at, updated_at FROM reservations ORDER BY created_at, ${order}`;
const LOGOUTS = "SELECT worker_sid, recorded_at FROM activity_log WHERE cause = 'offline-threshold'";
const AFTER_LOGOUT = `SELECT COUNT(*) AS n FROM reservations r JOIN activity_log l ON l.worker_sid = r.worker_sid AND l.cause = 'offline-threshold'
  WHERE r.created_at > l.recorded_at`;
const HEARTBEAT_LOST = "SELECT COUNT(*) AS n, MIN(detected_at) AS first, MAX(detected_at) AS last FROM disconnect_episodes WHERE reason = 'heartbeat-lost'";

function sqliteReader(file: string): StoreReader {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const reservations = db.prepare<[], ReservationRow>(reservationsIn('rowid'));
  const logouts = db.prepare<[], { worker_sid: string; recorded_at: number }>(LOGOUTS);
  const afterLogout = db.prepare<[], { n: number }>(AFTER_LOGOUT);
  const heartbeatLost = db.prepare<[], { n: number; first: number | null; last: number | null }>(HEARTBEAT_LOST);
  return {
    reservations: () => Promise.resolve(reservations.all()),
    heartbeatLost: () => Promise.resolve(heartbeatLost.get() ?? { n: 0, first: null, last: null }),
    logouts: () => Promise.resolve(new Map(logouts.all().map((r) => [r.worker_sid, r.recorded_at]))),
    offersAfterLogout: () => Promise.resolve(afterLogout.get()?.n ?? 0),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

async function postgresReader(url: string): Promise<StoreReader> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // BIGINT columns (instants, counts) come back as text; they fit a JS number.
  const num = (v: unknown): number => Number(v);
  const numOrNull = (v: unknown): number | null => (v === null ? null : Number(v));
  return {
    async reservations() {
      const { rows } = await client.query<Record<keyof ReservationRow, string>>(reservationsIn('seq'));
      return rows.map((r) => ({ ...r, created_at: num(r.created_at), updated_at: num(r.updated_at) }));
    },
    async heartbeatLost() {
      const row = (await client.query<{ n: string; first: string | null; last: string | null }>(HEARTBEAT_LOST)).rows[0];
      return { n: num(row?.n ?? 0), first: numOrNull(row?.first ?? null), last: numOrNull(row?.last ?? null) };
    },
    async logouts() {
      const { rows } = await client.query<{ worker_sid: string; recorded_at: string }>(LOGOUTS);
      return new Map(rows.map((r) => [r.worker_sid, num(r.recorded_at)]));
    },
    async offersAfterLogout() {
      return num((await client.query<{ n: string }>(AFTER_LOGOUT)).rows[0]?.n ?? 0);
    },
    close: () => client.end(),
  };
}

/** PostgreSQL when `urlInSchema` is given, else the SQLite file. */
export function openStoreReader(databaseFile: string, urlInSchema: string | null): Promise<StoreReader> {
  return urlInSchema ? postgresReader(urlInSchema) : Promise.resolve(sqliteReader(databaseFile));
}
