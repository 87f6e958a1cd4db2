import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExpression } from './expressions.js';
import { IdleOrder } from './idle-order.js';
import { chooseWorker, compareWorkers, firstTaker, type CandidateWorker, type RoutingStep } from './routing.js';

const VOICE = 'TCvoice';
const parsed = parseExpression('worker.skills HAS "support"');
if (!parsed.ok) throw new Error(parsed.error.message);
const step: RoutingStep = { queueSid: 'WQ1', targetWorkers: parsed.value, expression: null, orderBy: [] };
const task = { sid: 'WT1', attributes: {}, channelSid: VOICE, excludedWorkers: new Set(['WK3']) };

const arbWorker = fc.record({
  n: fc.integer({ min: 0, max: 40 }),
  idleSince: fc.integer({ min: 0, max: 50 }),
  available: fc.boolean(),
  connected: fc.boolean(),
  busy: fc.integer({ min: 0, max: 2 }),
  support: fc.boolean(),
}).map((w): CandidateWorker => ({
  sid: `WK${w.n}`,
  attributes: { skills: w.support ? ['support'] : ['sales'] },
  activityAvailable: w.available,
  presence: w.connected ? 'connected' : 'disconnected',
  channels: new Map([[VOICE, { capacity: 1, busy: w.busy, available: true }]]),
  idleSince: w.idleSince,
}));

describe('IdleOrder', () => {
  it('keeps the latest version of each worker, longest idle first, through any upserts and removals', () => {
    fc.assert(fc.property(fc.array(fc.oneof(arbWorker.map((w) => ({ op: 'up' as const, w })), fc.integer({ min: 0, max: 40 }).map((n) => ({ op: 'rm' as const, sid: `WK${n}` }))), { maxLength: 200 }), (ops) => {
      const order = new IdleOrder();
      const model = new Map<string, CandidateWorker>();
      for (const o of ops) {
        if (o.op === 'up') {
          order.upsert(o.w);
          model.set(o.w.sid, o.w);
        } else {
          order.remove(o.sid);
          model.delete(o.sid);
        }
      }
      const listed = [...order.values()];
      expect(listed.length).toBe(model.size);
      for (const w of listed) expect(model.get(w.sid)).toBe(w);
      for (let i = 1; i < listed.length; i++) expect(compareWorkers(listed[i - 1] as CandidateWorker, listed[i] as CandidateWorker, [])).toBeLessThan(0);
    }), { numRuns: 300 });
  });

  it('lets firstTaker make the same choice as chooseWorker', () => {
    fc.assert(fc.property(fc.array(arbWorker, { maxLength: 60 }), fc.boolean(), (workers, hold) => {
      const order = new IdleOrder();
      const latest = new Map<string, CandidateWorker>();
      for (const w of workers) {
        order.upsert(w);
        latest.set(w.sid, w);
      }
      const options = { holdDisconnected: hold };
      expect(firstTaker(order.values(), task, step, options)?.sid ?? null).toBe(chooseWorker(latest.values(), task, step, options)?.sid ?? null);
    }), { numRuns: 500 });
  });
});
