import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { billWorker, type BillingEntry, type Rounding } from './billing.js';
import { periodsOf, ZoneCalendar, type Granularity } from './calendar.js';

const OFF = 'WAoffline';
const AV = 'WAavailable';
const BR = 'WAbreak';
const utc = (iso: string): number => Date.parse(iso);
const H = 3600;

/** `[iso, activity, cause]` rows, the worker's log in order. */
type Row = readonly [string, string, string?];
const entries = (rows: readonly Row[]): BillingEntry[] => rows.map(([at, to, cause]) => ({ effectiveAt: utc(at), toActivitySid: to, cause: cause ?? 'agent' }));

function bill(zone: string, granularity: Granularity, from: string, to: string, rows: readonly Row[], options: { rounding?: Rounding; goneAt?: string } = {}) {
  const calendar = new ZoneCalendar(zone, utc(from), utc(to));
  const periods = periodsOf(calendar, utc(from), utc(to), granularity);
  const result = billWorker(
    { entries: entries(rows), goneAt: options.goneAt === undefined ? null : utc(options.goneAt) },
    { periods, logoutActivitySid: OFF, rounding: options.rounding ?? 'none', calendar },
  );
  return {
    labels: periods.map((p) => p.label),
    active: result.activeMs.map((ms) => ms / 1000),
    saved: result.savedMs.map((ms) => ms / 1000),
    hours: result.startedHours,
  };
}

describe('active user hours: hand-worked timelines', () => {
  it.each<[string, string, Granularity, string, string, Row[], { labels: string[]; active: number[]; saved: number[] }]>([
    ['a shift crossing midnight (Paris)', 'Europe/Paris', 'day', '2026-01-04T23:00:00Z', '2026-01-06T23:00:00Z',
      [['2026-01-05T08:00:00Z', OFF, 'created'], ['2026-01-05T21:30:00Z', AV], ['2026-01-06T00:15:00Z', OFF]],
      { labels: ['2026-01-05', '2026-01-06'], active: [5400, 4500], saved: [0, 0] }],
    ['a night across the spring change (Paris, 23 h day)', 'Europe/Paris', 'day', '2026-03-27T23:00:00Z', '2026-03-29T22:00:00Z',
      [['2026-03-01T00:00:00Z', OFF, 'created'], ['2026-03-28T22:00:00Z', AV], ['2026-03-29T02:00:00Z', OFF]],
      { labels: ['2026-03-28', '2026-03-29'], active: [H, 3 * H], saved: [0, 0] }],
    ['a whole spring-change day is 23 h (Paris)', 'Europe/Paris', 'day', '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z',
      [['2026-03-01T00:00:00Z', AV, 'created']], { labels: ['2026-03-29'], active: [23 * H], saved: [0] }],
    ['a whole autumn-change day is 25 h (Paris)', 'Europe/Paris', 'day', '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z',
      [['2026-10-01T00:00:00Z', AV, 'created']], { labels: ['2026-10-25'], active: [25 * H], saved: [0] }],
    ['the repeated hour is billed twice (Paris, 02:00–03:00 local happens twice)', 'Europe/Paris', 'day', '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z',
      [['2026-10-01T00:00:00Z', OFF, 'created'], ['2026-10-25T00:00:00Z', AV], ['2026-10-25T02:00:00Z', OFF]],
      { labels: ['2026-10-25'], active: [2 * H], saved: [0] }],
    ['spring change in New York: 23 h', 'America/New_York', 'day', '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z',
      [['2026-03-01T00:00:00Z', BR, 'created']], { labels: ['2026-03-08'], active: [23 * H], saved: [0] }],
    ['autumn change in New York: a night shift 22:00–06:00 local is 9 h', 'America/New_York', 'day', '2026-10-31T04:00:00Z', '2026-11-02T05:00:00Z',
      [['2026-10-01T00:00:00Z', OFF, 'created'], ['2026-11-01T02:00:00Z', AV], ['2026-11-01T11:00:00Z', OFF]],
      { labels: ['2026-10-31', '2026-11-01'], active: [2 * H, 7 * H], saved: [0, 0] }],
    ['an automatic logout saves the time until the next change', 'UTC', 'day', '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z',
      [['2026-01-01T00:00:00Z', OFF, 'created'], ['2026-01-05T09:00:00Z', AV], ['2026-01-05T10:00:00Z', OFF, 'offline-threshold'],
        ['2026-01-05T10:30:00Z', AV], ['2026-01-05T12:00:00Z', OFF], ['2026-01-05T13:00:00Z', AV], ['2026-01-05T13:00:30Z', OFF, 'offline-threshold']],
      { labels: ['2026-01-05'], active: [H + 1.5 * H + 30], saved: [1800 + (11 * H - 30)] }],
    ['a logout before the range saves from the range start; a manual logout saves nothing', 'UTC', 'day', '2026-01-05T00:00:00Z', '2026-01-07T00:00:00Z',
      [['2026-01-04T20:00:00Z', OFF, 'offline-threshold'], ['2026-01-05T08:00:00Z', AV], ['2026-01-05T16:00:00Z', OFF, 'agent']],
      { labels: ['2026-01-05', '2026-01-06'], active: [8 * H, 0], saved: [8 * H, 0] }],
    ['a month in Paris, with its spring change: 743 h', 'Europe/Paris', 'month', '2026-02-28T23:00:00Z', '2026-03-31T22:00:00Z',
      [['2026-01-01T00:00:00Z', AV, 'created']], { labels: ['2026-03'], active: [743 * H], saved: [0] }],
    ['milliseconds are truncated to the second', 'UTC', 'day', '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z',
      [['2026-01-05T09:00:00.900Z', AV, 'created'], ['2026-01-05T09:00:10.100Z', OFF]], { labels: ['2026-01-05'], active: [10], saved: [0] }],
    ['nothing before the worker existed', 'UTC', 'day', '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z',
      [['2026-01-05T22:00:00Z', AV, 'created']], { labels: ['2026-01-05'], active: [2 * H], saved: [0] }],
  ])('%s', (_name, zone, granularity, from, to, rows, expected) => {
    expect(bill(zone, granularity, from, to, rows)).toMatchObject(expected);
  });

  it('stops at the deletion of a worker', () => {
    expect(bill('UTC', 'day', '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', [['2026-01-01T00:00:00Z', AV, 'created']], { goneAt: '2026-01-05T06:00:00Z' }).active).toEqual([6 * H]);
  });

  it('counts each started clock hour of the zone once with started-hour rounding', () => {
    const day = bill('UTC', 'day', '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', [
      ['2026-01-05T00:00:00Z', OFF, 'created'], ['2026-01-05T09:10:00Z', AV], ['2026-01-05T09:20:00Z', OFF],
      ['2026-01-05T09:40:00Z', BR], ['2026-01-05T10:05:00Z', OFF], ['2026-01-05T23:59:59Z', AV],
    ], { rounding: 'started-hour' });
    expect(day.active).toEqual([10 * 60 + 25 * 60 + 1]);
    expect(day.hours).toEqual([3]);
    // In Kolkata (+05:30) the same 09:40–10:05 UTC is one hour, 15:10–15:35 local.
    const kolkata = bill('Asia/Kolkata', 'day', '2026-01-04T18:30:00Z', '2026-01-05T18:30:00Z', [
      ['2026-01-05T00:00:00Z', OFF, 'created'], ['2026-01-05T09:40:00Z', BR], ['2026-01-05T10:05:00Z', OFF],
    ], { rounding: 'started-hour' });
    expect(kolkata.hours).toEqual([1]);
    // The autumn day in Paris has 25 clock hours.
    expect(bill('Europe/Paris', 'day', '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z', [['2026-10-01T00:00:00Z', AV, 'created']], { rounding: 'started-hour' }).hours).toEqual([25]);
  });
});

// ── properties ──────────────────────────────────────────────────────────────────────────────

const START = utc('2026-03-28T00:00:00Z');
const SPAN_S = 3 * 86_400;

const historyArb = fc.array(
  fc.record({ offsetS: fc.integer({ min: -7200, max: SPAN_S + 7200 }), to: fc.constantFrom(OFF, AV, BR), automatic: fc.boolean(), ms: fc.integer({ min: 0, max: 999 }) }),
  { minLength: 1, maxLength: 25 },
).map((rows) => rows
  .map((r) => ({ effectiveAt: START + r.offsetS * 1000 + r.ms, toActivitySid: r.to, cause: r.automatic && r.to === OFF ? 'offline-threshold' : 'agent' }))
  .sort((a, b) => a.effectiveAt - b.effectiveAt));

/** Second by second: is the worker outside the logout activity during second `s`? */
function bruteForceActiveSeconds(log: readonly BillingEntry[], fromS: number, toS: number): number {
  let n = 0;
  let i = 0;
  let current: string | null = null;
  for (let s = fromS; s < toS; s++) {
    while (i < log.length && Math.floor((log[i] as BillingEntry).effectiveAt / 1000) <= s) current = (log[i++] as BillingEntry).toActivitySid;
    if (current !== null && current !== OFF) n++;
  }
  return n;
}

describe('active user hours: properties', () => {
  const zones = fc.constantFrom('Europe/Paris', 'America/New_York', 'UTC', 'Asia/Kolkata');

  it('billed time is the sum of the intervals outside the logout activity, split exactly over the periods', () => {
    fc.assert(fc.property(historyArb, zones, fc.integer({ min: 0, max: SPAN_S - 1 }), fc.integer({ min: 1, max: SPAN_S }), (log, zone, a, len) => {
      const from = START + a * 1000;
      const to = Math.min(START + SPAN_S * 1000, from + len * 1000);
      const calendar = new ZoneCalendar(zone, from, to);
      const periods = periodsOf(calendar, from, to, 'day');
      const bill = billWorker({ entries: log, goneAt: null }, { periods, logoutActivitySid: OFF, rounding: 'started-hour', calendar });
      const total = bill.activeMs.reduce((x, y) => x + y, 0) / 1000;
      expect(total).toBe(bruteForceActiveSeconds(log, from / 1000, to / 1000));
      // Each started hour holds at least one active second and at most 3600.
      const hours = (bill.startedHours ?? []).reduce((x, y) => x + y, 0);
      expect(hours).toBeGreaterThanOrEqual(Math.ceil(total / 3600));
      expect(hours).toBeLessThanOrEqual(total);
    }), { numRuns: 150 });
  });

  it('hours saved are never negative, and active + saved is the bill without automatic logouts', () => {
    fc.assert(fc.property(historyArb, zones, (log, zone) => {
      const from = START;
      const to = START + SPAN_S * 1000;
      const calendar = new ZoneCalendar(zone, from, to);
      const frame = { periods: periodsOf(calendar, from, to, 'day'), logoutActivitySid: OFF, rounding: 'none' as const, calendar };
      // Automation only logs out a worker who was elsewhere: keep the generated log to that shape.
      const shaped: BillingEntry[] = [];
      for (const e of log) if (e.cause !== 'offline-threshold' || (shaped.length > 0 && shaped.at(-1)?.toActivitySid !== OFF)) shaped.push(e);
      const withAutomation = billWorker({ entries: shaped, goneAt: null }, frame);
      const previous = (i: number): string => shaped[i - 1]?.toActivitySid ?? OFF;
      const without = billWorker({ entries: shaped.map((e, i) => (e.cause === 'offline-threshold' ? { ...e, toActivitySid: previous(i), cause: 'agent' } : e)), goneAt: null }, frame);
      withAutomation.savedMs.forEach((ms, i) => {
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms + (withAutomation.activeMs[i] ?? 0)).toBe(without.activeMs[i]);
      });
    }), { numRuns: 150 });
  });
});
