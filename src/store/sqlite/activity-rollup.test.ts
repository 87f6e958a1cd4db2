/**
 * The activity roll-up (migration 10) and the report's fast path over it, on a real SQLite file:
 * the roll-up the log writers keep equals the one rebuilt from the log (the migration's backfill),
 * even when entries arrive out of order; and on randomized histories, ranges, DST zones,
 * granularities and roundings, the report (fast path where it applies) gives exactly the figures
 * of the plain fold of the log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { billWorker, type Rounding } from '../../core/billing.js';
import { planRollup } from '../../core/billing-rollup.js';
import { resolveReportRange } from '../../core/report-range.js';
import { ManualClock } from '../../service/clocks.js';
import { ReportsService } from '../../service/reports-service.js';
import { createRollupKeeper, ROLLUP_REBUILD } from './activity-rollup.js';
import { migrate, MIGRATIONS } from './migrations.js';
import { createSqliteStore, type SqliteStore } from './sqlite-store.js';

const DAY = 86_400_000;
/** 2026-10-20T00:00Z: three weeks around the autumn changes of Europe and North America. */
const WINDOW_AT = Date.UTC(2026, 9, 20);
const WINDOW_DAYS = 21;
const ZONES = ['Europe/Paris', 'America/New_York', 'UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/Santiago'];
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const entryArb = fc.record({
  worker: fc.integer({ min: 0, max: 2 }),
  at: fc.integer({ min: -2 * DAY, max: (WINDOW_DAYS + 2) * DAY }),
  to: fc.constantFrom('Offline', 'Available', 'Break'),
  cause: fc.constantFrom('agent', 'offline-threshold', 'admin'),
});
type Entry = { readonly worker: number; readonly at: number; readonly to: string; readonly cause: string };
/** Entries in the order they are written (not their effective order), so some land between others. */
const historyArb = fc.array(entryArb, { minLength: 1, maxLength: 60 });

interface Fixture {
  readonly store: SqliteStore;
  readonly clock: ManualClock;
  readonly workspaceSid: string;
  readonly logoutSid: string;
  readonly file: string;
}

async function fixture(): Promise<Fixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-rollup-'));
  dirs.push(dir);
  const file = path.join(dir, 'rollcall.sqlite');
  const clock = new ManualClock(WINDOW_AT - 3 * DAY);
  const store = createSqliteStore({ file, clock, checkpointIntervalMs: 0 });
  const accountSid = (await store.createAccount('Rollup')).sid;
  const workspace = await store.createWorkspace({
    accountSid, friendlyName: 'Rollup', logoutActivityName: 'Offline', thresholdMs: 30_000,
    activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }, { friendlyName: 'Break', available: false }],
  });
  const logoutSid = (await store.logoutSettings(workspace.sid)).logoutActivitySid;
  return { store, clock, workspaceSid: workspace.sid, logoutSid, file };
}

/** Writes the history through a second connection as a log writer does: insert, then the keeper. */
async function write(f: Fixture, history: readonly Entry[]): Promise<string[]> {
  const activities = new Map((await f.store.listActivities(f.workspaceSid)).map((a) => [a.friendlyName, a.sid]));
  // Worker 0 exists (created through the store); 1 and 2 only have log rows, as deleted workers do.
  const created = await f.store.createWorker({ workspaceSid: f.workspaceSid, friendlyName: 'w0', attributes: '{}', actor: 'AC' });
  if (!created.ok) throw new Error(created.refusal.message);
  const sids = [created.value.worker.sid, 'WK' + '1'.repeat(32), 'WK' + '2'.repeat(32)];
  const db = new Database(f.file);
  const keeper = createRollupKeeper(db);
  const insert = db.prepare(`INSERT INTO activity_log (workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at)
    VALUES (?, ?, NULL, ?, ?, 'test', NULL, ?, ?)`);
  db.transaction(() => {
    for (const e of history) {
      const workerSid = sids[e.worker] as string;
      const toActivitySid = activities.get(e.to) as string;
      const effectiveAt = WINDOW_AT + e.at;
      const { lastInsertRowid } = insert.run(f.workspaceSid, workerSid, toActivitySid, e.cause, effectiveAt, effectiveAt);
      keeper.logged({ id: lastInsertRowid, workerSid, toActivitySid, cause: e.cause, effectiveAt });
    }
  })();
  db.close();
  return sids;
}

function rollupRows(file: string, rebuild: boolean): unknown[] {
  const db = new Database(file);
  if (rebuild) db.exec(ROLLUP_REBUILD);
  const rows = db.prepare('SELECT worker_sid, day, activity_sid, automatic, ms FROM activity_rollup WHERE ms <> 0 ORDER BY 1, 2, 3, 4').all();
  db.close();
  return rows;
}

describe('migration 10', () => {
  it('backfills the roll-up from the log already stored, cutting stays at UTC midnights and whole seconds', () => {
    const db = new Database(':memory:');
    for (let i = 0; i < 9; i++) db.exec(MIGRATIONS[i] ?? '');
    db.pragma('user_version = 9');
    const insert = db.prepare(`INSERT INTO activity_log (workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at)
      VALUES ('WS', 'WK', NULL, ?, ?, 'test', NULL, ?, 0)`);
    insert.run('WAav', 'created', DAY - 3_600_500); // 22:59:59.500 → cut to 22:59:59
    insert.run('WAoff', 'offline-threshold', DAY + 1800_999); // day 1, 00:30:00.999 → 00:30:00
    insert.run('WAav', 'agent', DAY + 7200_000); // still open: not in the roll-up
    migrate(db);
    expect(db.prepare('SELECT day, activity_sid, automatic, ms FROM activity_rollup ORDER BY day, activity_sid').all()).toEqual([
      { day: 0, activity_sid: 'WAav', automatic: 0, ms: 3_601_000 },
      { day: 1, activity_sid: 'WAav', automatic: 0, ms: 1_800_000 },
      { day: 1, activity_sid: 'WAoff', automatic: 1, ms: 5_400_000 },
    ]);
    db.close();
  });
});

describe('activity roll-up', () => {
  it('kept entry by entry (in any order) equals the roll-up rebuilt from the log', async () => {
    await fc.assert(fc.asyncProperty(historyArb, async (history) => {
      const f = await fixture();
      await write(f, history);
      await f.store.close();
      expect(rollupRows(f.file, false)).toEqual(rollupRows(f.file, true));
    }), { numRuns: 40 });
  });

  const rangeArb = (shape: { granularity: readonly string[]; rounding: readonly Rounding[]; minDays: number }) => fc.record({
    zone: fc.constantFrom(...ZONES),
    startDay: fc.integer({ min: 0, max: WINDOW_DAYS - 1 }),
    days: fc.integer({ min: shape.minDays, max: 20 }),
    granularity: fc.constantFrom(...shape.granularity),
    rounding: fc.constantFrom(...shape.rounding),
    // Sometimes an instant range that does not start on a whole second; sometimes "now" inside it.
    instantStartMs: fc.option(fc.integer({ min: 0, max: DAY - 1 }), { nil: undefined }),
    nowDay: fc.option(fc.integer({ min: 0, max: WINDOW_DAYS + 3 }), { nil: undefined }),
  });
  interface Range { zone: string; startDay: number; days: number; granularity: string; rounding: Rounding; instantStartMs: number | undefined; nowDay: number | undefined }
  type RangeCase = fc.Arbitrary<Range>;

  /** Runs the report and the plain fold on one history and range; says whether the fast path applied. */
  async function reportEqualsFold(history: readonly Entry[], q: Range): Promise<boolean> {
    const f = await fixture();
    await write(f, history);
    f.clock.advance(WINDOW_AT + (q.nowDay ?? WINDOW_DAYS + 5) * DAY + 1234 - f.clock.now());
    const date = (day: number): string => new Date(WINDOW_AT + day * DAY).toISOString().slice(0, 10);
    const startDate = q.instantStartMs === undefined ? date(q.startDay) : new Date(WINDOW_AT + q.startDay * DAY + q.instantStartMs).toISOString();
    const query = { startDate, endDate: date(Math.min(q.startDay + q.days, WINDOW_DAYS + 1)), timeZone: q.zone, granularity: q.granularity, rounding: q.rounding };
    const reports = new ReportsService({ store: f.store, clock: f.clock });
    const report = await reports.activeUserHours(f.workspaceSid, query);
    if (!report.ok) throw new Error(report.refusal.message);
    const r = report.value;
    // The reference: every worker's whole history folded by core/billing.
    const range = resolveReportRange(query, f.clock.now());
    if (!range.ok) throw new Error(range.refusal.message);
    const periods = range.value.periods.map((p) => ({ ...p, startAt: Math.min(p.startAt, r.dataUntil), endAt: Math.min(p.endAt, r.dataUntil) }));
    const frame = { periods, logoutActivitySid: f.logoutSid, rounding: q.rounding, calendar: range.value.calendar };
    const expected = [];
    if (r.dataUntil > range.value.startAt) {
      for await (const h of f.store.workerHistories(f.workspaceSid, { startAt: range.value.startAt, endAt: r.dataUntil, logoutActivitySid: f.logoutSid })) {
        const bill = billWorker({ entries: h.entries, goneAt: h.goneAt }, frame);
        if (bill.activeMs.some((ms) => ms > 0) || bill.savedMs.some((ms) => ms > 0)) expected.push({ workerSid: h.workerSid, ...bill });
      }
    }
    await f.store.close();
    expect(r.workers.map((w) => ({
      workerSid: w.workerSid, activeMs: w.periods.map((p) => p.activeMs), savedMs: w.periods.map((p) => p.savedMs), startedHours: q.rounding === 'none' ? null : w.periods.map((p) => p.startedHours),
    }))).toEqual(expected);
    return planRollup(periods, frame) !== null;
  }

  it('the report gives exactly the plain fold of the log, in any zone, granularity and rounding', async () => {
    const cases: RangeCase = rangeArb({ granularity: ['day', 'month'], rounding: ['none', 'started-hour'], minDays: 1 });
    await fc.assert(fc.asyncProperty(historyArb, cases, async (history, q) => {
      await reportEqualsFold(history, q);
    }), { numRuns: 80 });
  });

  it('so does the fast path over the roll-up, which every monthly report of three days or more takes', async () => {
    const cases: RangeCase = rangeArb({ granularity: ['month'], rounding: ['none'], minDays: 3 });
    await fc.assert(fc.asyncProperty(historyArb, cases.filter((q) => q.nowDay === undefined || q.nowDay >= q.startDay + 3), async (history, q) => {
      expect(await reportEqualsFold(history, q)).toBe(true);
    }), { numRuns: 80 });
  });
});
