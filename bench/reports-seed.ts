/**
 * Writes a month of presence history straight into a Rollcall SQLite file: workers, their
 * activity log and their disconnection episodes, shaped like a contact-center day. Rows go in
 * through prepared statements in large transactions (the presence machine would take hours for
 * two million changes); the shapes are the ones presence-writer.ts stores.
 *
 * A working day per agent (Paris office hours, jittered): log in (Offline → Available); fifteen
 * breaks (Available → Break → Available); about ten network blips the agent comes back from
 * within the threshold (episode only); three drops long enough for an automatic logout
 * (episode, `offline-threshold` entry, the agent's return to Available); and the end of the day:
 * most agents log out themselves, a few shut the laptop and are logged out by the threshold.
 */
import Database from 'better-sqlite3';
import { ROLLUP_REBUILD } from '../src/store/sqlite/activity-rollup.js';

export interface SeedOptions {
  readonly file: string;
  readonly workspaceSid: string;
  readonly activities: { readonly offline: string; readonly available: string; readonly break: string };
  readonly agents: number;
  /** First local midnight of the month (epoch ms) and its number of days. */
  readonly monthStartAt: number;
  readonly days: number;
  readonly thresholdMs: number;
}

export interface SeedFigures {
  readonly logRows: number;
  readonly episodes: number;
  readonly seedMs: number;
  /** Of which rebuilding the activity roll-up from the seeded log. */
  readonly rollupMs: number;
}

/** mulberry32: a small deterministic PRNG, so every run seeds the same month. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

export function seedMonth(o: SeedOptions): SeedFigures {
  const started = performance.now();
  const db = new Database(o.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const rnd = random(42);
  const { offline, available, break: brk } = o.activities;
  const insertWorker = db.prepare(`INSERT INTO workers (sid, workspace_sid, friendly_name, attributes, activity_sid, created_at, updated_at, status_changed_at, version, presence)
    VALUES (?, ?, ?, '{}', ?, ?, ?, ?, 1, '{"endedLastSeenAt":null,"disconnection":null,"nextDeadlineId":1}')`);
  const log = db.prepare(`INSERT INTO activity_log (workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const episode = db.prepare(`INSERT INTO disconnect_episodes (workspace_sid, worker_sid, last_seen_at, detected_at, reason, ended_at, outcome, exempt, logged_out_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)`);
  let logRows = 0;
  let episodes = 0;
  const ws = o.workspaceSid;

  const agentMonth = (sid: string): void => {
    let current = offline;
    const change = (at: number, to: string, cause: string, evidence: string | null = null): void => {
      log.run(ws, sid, current, to, cause, cause === 'offline-threshold' ? 'rollcall' : sid, evidence, at, at + (cause === 'offline-threshold' ? 40 : 0));
      current = to;
      logRows++;
    };
    const drop = (at: number, awayMs: number, reason: string, comesBack = true): number => {
      const due = at + o.thresholdMs;
      if (awayMs < o.thresholdMs || current === offline) {
        episode.run(ws, sid, at, at + (reason === 'closed' ? 0 : 21 * S), reason, at + awayMs, 'reconnected', null);
        episodes++;
        return at + awayMs;
      }
      const from = current;
      change(due, offline, 'offline-threshold', JSON.stringify({ reason, lastSeenAt: at, thresholdMs: o.thresholdMs, dueAt: due }));
      episode.run(ws, sid, at, at + (reason === 'closed' ? 0 : 21 * S), reason, at + awayMs, 'logged-out', due);
      episodes++;
      if (!comesBack) return at + awayMs;
      const back = at + awayMs + 5 * S + Math.floor(rnd() * 20 * S);
      change(back, from, 'agent');
      return back;
    };
    insertWorker.run(sid, ws, `agent-${sid.slice(2, 10)}`, offline, o.monthStartAt - 86_400_000, o.monthStartAt, o.monthStartAt);
    log.run(ws, sid, null, offline, 'created', 'AC', null, o.monthStartAt - 86_400_000, o.monthStartAt - 86_400_000);
    logRows++;
    for (let day = 0; day < o.days; day++) {
      const dayAt = o.monthStartAt + day * 24 * H;
      let t = dayAt + 7 * H + Math.floor(rnd() * H);
      change(t, available, 'agent');
      const endAt = dayAt + 16 * H + Math.floor(rnd() * 2 * H);
      // Fifteen breaks, ten blips and three logouts spread over the day, in time order.
      const moments = [...Array(28)].map((_, i) => ({ kind: i < 15 ? 'break' : i < 25 ? 'blip' : 'drop', at: t + Math.floor(rnd() * (endAt - t - 20 * MIN)) }))
        .sort((a, b) => a.at - b.at);
      for (const m of moments) {
        if (m.at <= t) continue;
        if (m.kind === 'break') {
          change(m.at, brk, 'agent');
          t = m.at + 3 * MIN + Math.floor(rnd() * 10 * MIN);
          change(t, available, 'agent');
        } else if (m.kind === 'blip') {
          t = drop(m.at, 2 * S + Math.floor(rnd() * (o.thresholdMs - 3 * S)), rnd() < 0.5 ? 'closed' : 'heartbeat-lost');
        } else {
          t = drop(m.at, o.thresholdMs + 10 * S + Math.floor(rnd() * 8 * MIN), 'heartbeat-lost');
        }
      }
      const leaveAt = Math.max(endAt, t + S);
      if (rnd() < 0.85) {
        change(leaveAt, offline, 'agent');
        episode.run(ws, sid, leaveAt + S, leaveAt + S, 'closed', leaveAt + 14 * H, 'reconnected', null);
        episodes++;
      } else {
        // Gone home without logging out: logged out by the threshold, Offline until the next login.
        drop(leaveAt, 14 * H, 'closed', false);
      }
    }
  };

  const batch = db.transaction((sids: string[]) => {
    for (const sid of sids) agentMonth(sid);
  });
  const all = [...Array(o.agents)].map((_, i) => `WK${String(i).padStart(8, '0')}${'0'.repeat(24)}`);
  for (let i = 0; i < all.length; i += 100) batch(all.slice(i, i + 100));
  // The rows went in behind the store's back, so its activity roll-up (migration 10) is rebuilt
  // from them, as the migration's backfill would for a database that predates it.
  const rollupStarted = performance.now();
  db.exec(ROLLUP_REBUILD);
  const rollupMs = performance.now() - rollupStarted;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { logRows, episodes, seedMs: performance.now() - started, rollupMs };
}
