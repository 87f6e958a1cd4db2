import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExpression, type Expression } from './expressions.js';
import { canTake, chooseWorker, compareWorkers, initialPosition, matches, shouldSkip, type CandidateWorker, type RoutableTask, type RoutingStep } from './routing.js';
import { nextPosition, parseWorkflowConfig, targetAt } from './workflow-config.js';

const VOICE = 'TCvoice';
const CHAT = 'TCchat';
const Q1 = 'WQ11111111111111111111111111111111';
const Q2 = 'WQ22222222222222222222222222222222';

function expr(source: string): Expression {
  const parsed = parseExpression(source);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

function worker(sid: string, over: Partial<CandidateWorker> = {}): CandidateWorker {
  return {
    sid,
    attributes: { skills: ['support'], level: 1 },
    activityAvailable: true,
    presence: 'connected',
    channels: new Map([[VOICE, { capacity: 1, busy: 0, available: true }], [CHAT, { capacity: 2, busy: 0, available: true }]]),
    idleSince: 1000,
    ...over,
  };
}

const task: RoutableTask = { sid: 'WT1', attributes: { type: 'support', language: 'en' }, channelSid: VOICE, excludedWorkers: new Set() };
const step: RoutingStep = { queueSid: Q1, targetWorkers: expr('worker.skills HAS "support"'), expression: null, orderBy: [] };
const hold = { holdDisconnected: true };

describe('canTake: the cheap checks', () => {
  it.each([
    ['an available, connected worker with a free channel', {}, true],
    ['an unavailable activity', { activityAvailable: false }, false],
    ['a worker in the grace period after a disconnection', { presence: 'disconnected' as const }, false],
    ['a worker who never connected (no agent channel)', { presence: 'never-connected' as const }, false],
    ['a full voice channel', { channels: new Map([[VOICE, { capacity: 1, busy: 1, available: true }]]) }, false],
    ['a voice channel switched off', { channels: new Map([[VOICE, { capacity: 1, busy: 0, available: false }]]) }, false],
    ['no voice channel at all', { channels: new Map([[CHAT, { capacity: 1, busy: 0, available: true }]]) }, false],
  ])('%s → %s', (_what, over, expected) => {
    expect(canTake(worker('WKa', over), task, hold)).toBe(expected);
  });

  it('lets a disconnected or never-connected worker take work when the hold is off', () => {
    expect(canTake(worker('WKa', { presence: 'disconnected' }), task, { holdDisconnected: false })).toBe(true);
    expect(canTake(worker('WKa', { presence: 'never-connected' }), task, { holdDisconnected: false })).toBe(true);
  });

  it('never offers a task again to a worker who turned it down', () => {
    expect(canTake(worker('WKa'), { ...task, excludedWorkers: new Set(['WKa']) }, hold)).toBe(false);
  });
});

describe('chooseWorker', () => {
  it('offers to the longest idle matching worker', () => {
    const chosen = chooseWorker([worker('WKa', { idleSince: 3000 }), worker('WKb', { idleSince: 1000 }), worker('WKc', { idleSince: 2000 })], task, step, hold);
    expect(chosen?.sid).toBe('WKb');
  });

  it('skips workers who do not match TargetWorkers or the target expression', () => {
    const candidates = [
      worker('WKsales', { idleSince: 0, attributes: { skills: ['sales'] } }),
      worker('WKfr', { idleSince: 1, attributes: { skills: ['support'], languages: ['fr'] } }),
      worker('WKen', { idleSince: 2, attributes: { skills: ['support'], languages: ['en'] } }),
    ];
    const withLanguage = { ...step, expression: expr('task.language IN worker.languages') };
    expect(chooseWorker(candidates, task, withLanguage, hold)?.sid).toBe('WKen');
  });

  it('follows order_by before idle time', () => {
    const config = parseWorkflowConfig(JSON.stringify({ task_routing: { default_filter: { queue: Q1, order_by: 'worker.level DESC' } } }), () => true);
    if (!config.ok) throw new Error(config.refusal.message);
    const orderBy = config.value.defaultTarget?.orderBy ?? [];
    const candidates = [worker('WKlow', { idleSince: 0, attributes: { skills: ['support'], level: 1 } }), worker('WKhigh', { idleSince: 9, attributes: { skills: ['support'], level: 5 } })];
    expect(chooseWorker(candidates, task, { ...step, orderBy }, hold)?.sid).toBe('WKhigh');
  });

  it('returns null when nobody can take the task', () => {
    expect(chooseWorker([worker('WKa', { activityAvailable: false })], task, step, hold)).toBeNull();
    expect(chooseWorker([], task, step, hold)).toBeNull();
  });
});

describe('chooseWorker properties', () => {
  const arbWorker = fc.record({
    sid: fc.integer({ min: 0, max: 30 }).map((n) => `WK${n}`),
    activityAvailable: fc.boolean(),
    presence: fc.constantFrom('connected', 'disconnected', 'never-connected'),
    capacity: fc.integer({ min: 0, max: 3 }),
    busy: fc.integer({ min: 0, max: 3 }),
    channelAvailable: fc.boolean(),
    skills: fc.subarray(['support', 'sales', 'billing']),
    level: fc.integer({ min: 0, max: 5 }),
    idleSince: fc.integer({ min: 0, max: 1000 }),
  }).map((w): CandidateWorker => ({
    sid: w.sid,
    attributes: { skills: w.skills, level: w.level },
    activityAvailable: w.activityAvailable,
    presence: w.presence as CandidateWorker['presence'],
    channels: new Map([[VOICE, { capacity: w.capacity, busy: w.busy, available: w.channelAvailable }]]),
    idleSince: w.idleSince,
  }));
  const arbWorkers = fc.uniqueArray(arbWorker, { selector: (w) => w.sid, maxLength: 25 });

  it('never chooses a worker who is unavailable, held after a disconnection, at capacity, excluded or not matching', () => {
    fc.assert(fc.property(arbWorkers, fc.boolean(), fc.subarray(['WK1', 'WK2', 'WK3']), fc.boolean(), (workers, holdOn, excluded, byLevel) => {
      const t = { ...task, excludedWorkers: new Set(excluded) };
      const s = { ...step, orderBy: byLevel ? [{ path: ['level'], descending: true }] : [] };
      const chosen = chooseWorker(workers, t, s, { holdDisconnected: holdOn });
      const eligible = workers.filter((w) => canTake(w, t, { holdDisconnected: holdOn }) && matches(w, t, s));
      if (chosen === null) {
        expect(eligible).toEqual([]);
        return;
      }
      const channel = chosen.channels.get(VOICE);
      expect(chosen.activityAvailable).toBe(true);
      if (holdOn) expect(chosen.presence).toBe('connected');
      expect(channel && channel.available && channel.busy < channel.capacity).toBe(true);
      expect(excluded).not.toContain(chosen.sid);
      expect((chosen.attributes.skills as string[]).includes('support')).toBe(true);
      // And it is the best of the eligible ones.
      for (const other of eligible) expect(compareWorkers(chosen, other, s.orderBy)).toBeLessThanOrEqual(0);
    }), { numRuns: 500 });
  });
});

describe('workflow configuration', () => {
  const valid = {
    task_routing: {
      filters: [
        { filter_friendly_name: 'Sales', expression: 'type == "sales"', targets: [{ queue: Q1, timeout: 30, priority: 5 }, { queue: Q2, skip_if: 'workers.available == 0' }] },
        { filter_friendly_name: 'Support', expression: 'type == "support"', targets: [{ queue: Q2, expression: 'task.language IN worker.languages' }] },
      ],
      default_filter: { queue: Q1 },
    },
  };
  const known = (sid: string): boolean => sid === Q1 || sid === Q2;

  it('parses filters, targets and the default filter', () => {
    const parsed = parseWorkflowConfig(JSON.stringify(valid), known);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.filters.map((f) => f.name)).toEqual(['Sales', 'Support']);
    expect(parsed.value.filters[0]?.targets[0]).toMatchObject({ queueSid: Q1, timeoutS: 30, priority: 5 });
    expect(initialPosition(parsed.value, { type: 'support' })).toEqual({ filterIndex: 1, targetIndex: 0 });
    expect(initialPosition(parsed.value, { type: 'other' })).toEqual({ filterIndex: -1, targetIndex: 0 });
    const sales = { filterIndex: 0, targetIndex: 0 };
    expect(targetAt(parsed.value, sales)?.queueSid).toBe(Q1);
    expect(nextPosition(parsed.value, sales)).toEqual({ filterIndex: 0, targetIndex: 1 });
    expect(nextPosition(parsed.value, { filterIndex: 0, targetIndex: 1 })).toBeNull();
    const second = targetAt(parsed.value, { filterIndex: 0, targetIndex: 1 });
    expect(second && shouldSkip(second, 0)).toBe(true);
    expect(second && shouldSkip(second, 3)).toBe(false);
  });

  const broken = (mutate: (c: typeof valid) => unknown): string => {
    const copy = JSON.parse(JSON.stringify(valid)) as typeof valid;
    return JSON.stringify(mutate(copy) ?? copy);
  };

  it.each([
    ['not JSON', '{"task_routing":', /not valid JSON/],
    ['no task_routing', '{}', /task_routing object/],
    ['a broken filter expression', broken((c) => void (c.task_routing.filters[1]!.expression = 'type == ')), /filters\[1\]\.expression: expected .* at position 8/],
    ['a broken target expression', broken((c) => void ((c.task_routing.filters[1]!.targets[0] as { expression: string }).expression = 'task.language IN (')), /filters\[1\]\.targets\[0\]\.expression: .*position 17/],
    ['an unknown queue', broken((c) => void (c.task_routing.filters[0]!.targets[1]!.queue = 'WQ33333333333333333333333333333333')), /filters\[0\]\.targets\[1\]\.queue: .*not in this workspace/],
    ['a malformed queue SID', broken((c) => void (c.task_routing.default_filter.queue = 'sales')), /default_filter\.queue: must be a TaskQueue SID/],
    ['a negative timeout', broken((c) => void ((c.task_routing.filters[0]!.targets[0] as { timeout: number }).timeout = -1)), /targets\[0\]\.timeout: must be a whole number/],
    ['empty targets', broken((c) => void (c.task_routing.filters[0]!.targets = [])), /filters\[0\]\.targets: must be a non-empty array/],
    ['a bad order_by', broken((c) => void ((c.task_routing.default_filter as Record<string, unknown>).order_by = 'task.level DESC')), /default_filter\.order_by: key 1/],
  ])('refuses %s, saying where', (_what, source, message) => {
    const parsed = parseWorkflowConfig(source, known);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.refusal.message).toMatch(message);
      expect(parsed.refusal.field).toBe('Configuration');
    }
  });
});
