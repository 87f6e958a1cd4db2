import { describe, expect, it } from 'vitest';
import { activityDurations, headcounts, reservationTotals, resolveWindow, type LogPoint } from './statistics.js';

const S = 1000;
const MIN = 60 * S;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const activities = [
  { sid: 'WAoffline', friendlyName: 'Offline' },
  { sid: 'WAavailable', friendlyName: 'Available' },
  { sid: 'WAbreak', friendlyName: 'Break' },
];

let nextId = 1;
const at = (workerSid: string, toActivitySid: string, offsetMs: number): LogPoint => ({ id: nextId++, workerSid, toActivitySid, effectiveAt: T0 + offsetMs });

/** [sid, avg, min, max, total] for each activity, in seconds. */
function table(points: LogPoint[], startMs: number, endMs: number): [string, number, number, number, number][] {
  return activityDurations(points, activities, { startAt: T0 + startMs, endAt: T0 + endMs }).map((d) => [d.sid, d.avgS, d.minS, d.maxS, d.totalS]);
}

describe('activityDurations', () => {
  const cases: { name: string; points: LogPoint[]; window: [number, number]; expected: [string, number, number, number, number][] }[] = [
    {
      name: 'no log at all: every activity reports zeros',
      points: [],
      window: [0, 10 * MIN],
      expected: [['WAoffline', 0, 0, 0, 0], ['WAavailable', 0, 0, 0, 0], ['WAbreak', 0, 0, 0, 0]],
    },
    {
      name: 'a worker in one activity since before the window fills the window',
      points: [at('WK1', 'WAavailable', -5 * MIN)],
      window: [0, 10 * MIN],
      expected: [['WAoffline', 0, 0, 0, 0], ['WAavailable', 600, 600, 600, 600], ['WAbreak', 0, 0, 0, 0]],
    },
    {
      name: 'changes inside the window split it into stays, clipped at both ends',
      points: [at('WK1', 'WAoffline', -MIN), at('WK1', 'WAavailable', 2 * MIN), at('WK1', 'WAbreak', 5 * MIN), at('WK1', 'WAavailable', 6 * MIN)],
      window: [0, 10 * MIN],
      // Available: 3 min + 4 min → total 420 s, avg 210, min 180, max 240.
      expected: [['WAoffline', 120, 120, 120, 120], ['WAavailable', 210, 180, 240, 420], ['WAbreak', 60, 60, 60, 60]],
    },
    {
      name: 'a change to the activity the worker is already in continues the stay',
      points: [at('WK1', 'WAavailable', 0), at('WK1', 'WAavailable', 3 * MIN)],
      window: [0, 10 * MIN],
      expected: [['WAoffline', 0, 0, 0, 0], ['WAavailable', 600, 600, 600, 600], ['WAbreak', 0, 0, 0, 0]],
    },
    {
      name: 'a worker created inside the window counts from its creation',
      points: [at('WK1', 'WAoffline', 4 * MIN)],
      window: [0, 10 * MIN],
      expected: [['WAoffline', 360, 360, 360, 360], ['WAavailable', 0, 0, 0, 0], ['WAbreak', 0, 0, 0, 0]],
    },
    {
      name: 'entries at or after the end of the window are ignored',
      points: [at('WK1', 'WAavailable', 0), at('WK1', 'WAbreak', 10 * MIN), at('WK1', 'WAoffline', 11 * MIN)],
      window: [0, 10 * MIN],
      expected: [['WAoffline', 0, 0, 0, 0], ['WAavailable', 600, 600, 600, 600], ['WAbreak', 0, 0, 0, 0]],
    },
    {
      name: 'a worker created after the window does not count',
      points: [at('WK1', 'WAavailable', 20 * MIN)],
      window: [0, 10 * MIN],
      expected: [['WAoffline', 0, 0, 0, 0], ['WAavailable', 0, 0, 0, 0], ['WAbreak', 0, 0, 0, 0]],
    },
    {
      name: 'stays of several workers are pooled per activity',
      points: [at('WK1', 'WAavailable', -MIN), at('WK2', 'WAavailable', 8 * MIN), at('WK2', 'WAoffline', -MIN)],
      window: [0, 10 * MIN],
      // WK1 Available 600 s; WK2 Offline 480 s then Available 120 s.
      expected: [['WAoffline', 480, 480, 480, 480], ['WAavailable', 360, 120, 600, 720], ['WAbreak', 0, 0, 0, 0]],
    },
    {
      name: 'only the last entry before the window decides where the worker starts',
      points: [at('WK1', 'WAbreak', -10 * MIN), at('WK1', 'WAavailable', -MIN)],
      window: [0, 5 * MIN],
      expected: [['WAoffline', 0, 0, 0, 0], ['WAavailable', 300, 300, 300, 300], ['WAbreak', 0, 0, 0, 0]],
    },
    {
      name: 'two changes at the same instant leave no zero-length stay; the later id wins',
      points: [at('WK1', 'WAoffline', 0), at('WK1', 'WAbreak', 5 * MIN), at('WK1', 'WAavailable', 5 * MIN)],
      window: [0, 10 * MIN],
      expected: [['WAoffline', 300, 300, 300, 300], ['WAavailable', 300, 300, 300, 300], ['WAbreak', 0, 0, 0, 0]],
    },
    {
      name: 'time in an activity that no longer exists is left out, but still ends the stay before it',
      points: [at('WK1', 'WAavailable', 0), at('WK1', 'WAdeleted', 4 * MIN), at('WK1', 'WAavailable', 6 * MIN)],
      window: [0, 10 * MIN],
      expected: [['WAoffline', 0, 0, 0, 0], ['WAavailable', 240, 240, 240, 480], ['WAbreak', 0, 0, 0, 0]],
    },
    {
      name: 'sub-second stays round to whole seconds',
      points: [at('WK1', 'WAavailable', 0), at('WK1', 'WAbreak', 1499), at('WK1', 'WAavailable', 3000)],
      window: [0, 4000],
      // Available 1.499 s + 1 s; Break 1.501 s.
      expected: [['WAoffline', 0, 0, 0, 0], ['WAavailable', 1, 1, 1, 2], ['WAbreak', 2, 2, 2, 2]],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(table(c.points, c.window[0], c.window[1])).toEqual(c.expected);
    });
  }

  it('does not depend on the order of its input', () => {
    const points = [at('WK1', 'WAoffline', -MIN), at('WK1', 'WAavailable', 2 * MIN), at('WK2', 'WAbreak', MIN), at('WK1', 'WAbreak', 5 * MIN)];
    expect(table([...points].reverse(), 0, 10 * MIN)).toEqual(table(points, 0, 10 * MIN));
  });
});

describe('resolveWindow', () => {
  const now = T0 + 60 * MIN;
  const cases: { name: string; query: Parameters<typeof resolveWindow>[0]; expected: { startAt: number; endAt: number } | { field: string } }[] = [
    { name: 'the last 15 minutes by default', query: {}, expected: { startAt: now - 15 * MIN, endAt: now } },
    { name: 'Minutes counts back from now', query: { minutes: 60 }, expected: { startAt: now - 60 * MIN, endAt: now } },
    { name: 'StartDate alone runs to now', query: { startAt: T0 }, expected: { startAt: T0, endAt: now } },
    { name: 'StartDate and EndDate', query: { startAt: T0, endAt: T0 + 5 * MIN }, expected: { startAt: T0, endAt: T0 + 5 * MIN } },
    { name: 'an EndDate in the future stops at now', query: { startAt: T0, endAt: now + 60 * MIN }, expected: { startAt: T0, endAt: now } },
    { name: 'EndDate alone takes the default length before it', query: { endAt: T0 + 30 * MIN }, expected: { startAt: T0 + 15 * MIN, endAt: T0 + 30 * MIN } },
    { name: 'a StartDate in the future is an empty window', query: { startAt: now + MIN }, expected: { startAt: now + MIN, endAt: now + MIN } },
    { name: 'Minutes of zero is refused', query: { minutes: 0 }, expected: { field: 'Minutes' } },
    { name: 'fractional Minutes is refused', query: { minutes: 1.5 }, expected: { field: 'Minutes' } },
    { name: 'more than a year of Minutes is refused', query: { minutes: 525_601 }, expected: { field: 'Minutes' } },
    { name: 'Minutes with StartDate is refused', query: { minutes: 5, startAt: T0 }, expected: { field: 'Minutes' } },
    { name: 'a StartDate not before EndDate is refused', query: { startAt: T0 + MIN, endAt: T0 + MIN }, expected: { field: 'StartDate' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = resolveWindow(c.query, now);
      if ('field' in c.expected) {
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.refusal).toMatchObject({ code: 'invalid-parameter', field: c.expected.field });
      } else {
        expect(result).toEqual({ ok: true, value: c.expected });
      }
    });
  }
});

describe('headcounts', () => {
  it('lists every activity, with zero where nobody is, and the total', () => {
    const result = headcounts(new Map([['WAavailable', 3], ['WAoffline', 2]]), activities);
    expect(result).toEqual({
      total: 5,
      activities: [
        { sid: 'WAoffline', friendlyName: 'Offline', workers: 2 },
        { sid: 'WAavailable', friendlyName: 'Available', workers: 3 },
        { sid: 'WAbreak', friendlyName: 'Break', workers: 0 },
      ],
    });
  });
});

describe('reservationTotals', () => {
  it.each([
    [[], { created: 0, accepted: 0, rejected: 0, timedOut: 0, canceled: 0, rescinded: 0 }],
    [[['pending', 2]], { created: 2, accepted: 0, rejected: 0, timedOut: 0, canceled: 0, rescinded: 0 }],
    [[['accepted', 1], ['wrapping', 2], ['completed', 3]], { created: 6, accepted: 6, rejected: 0, timedOut: 0, canceled: 0, rescinded: 0 }],
    [[['rejected', 1], ['timeout', 2], ['canceled', 3], ['rescinded', 4], ['pending', 5]], { created: 15, accepted: 0, rejected: 1, timedOut: 2, canceled: 3, rescinded: 4 }],
  ] as [[string, number][], object][])('%j → %j', (counts, expected) => {
    expect(reservationTotals(new Map(counts))).toEqual(expected);
  });
});
