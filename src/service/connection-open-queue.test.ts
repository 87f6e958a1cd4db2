import { describe, expect, it } from 'vitest';
import { ok, refuse, type Result } from '../core/errors.js';
import { ConnectionOpenQueue, type Opening } from './connection-open-queue.js';
import type { PresenceCommit } from './ports.js';

const opening = (workerSid: string): Opening => ({ workspaceSid: 'WS1', workerSid, connectionId: `CN${workerSid}`, exempt: false });
const committed = (workerSid: string): Result<PresenceCommit> => ok({ worker: { sid: workerSid } as PresenceCommit['worker'], outputs: [], events: [] });

/** A store that answers each batch as `answer` says, and records the batches it was given. */
function store(answer: (batch: readonly Opening[]) => Promise<Result<PresenceCommit>[]> = async (b) => b.map((o) => committed(o.workerSid))) {
  const batches: string[][] = [];
  return { batches, write: async (b: readonly Opening[]) => (batches.push(b.map((o) => o.workerSid)), answer(b)) };
}

describe('ConnectionOpenQueue', () => {
  it('writes the openings of one turn in one batch, each answered with its own result', async () => {
    const s = store(async (b) => b.map((o) => (o.workerSid === 'WKgone' ? refuse('not-found', 'Worker WKgone was not found') : committed(o.workerSid))));
    const queue = new ConnectionOpenQueue({ write: s.write });
    const results = await Promise.all(['WK1', 'WKgone', 'WK3'].map((sid) => queue.open(opening(sid))));
    expect(s.batches).toEqual([['WK1', 'WKgone', 'WK3']]);
    expect(results.map((r) => (r.ok ? r.value.worker.sid : r.refusal.code))).toEqual(['WK1', 'not-found', 'WK3']);
  });

  it('splits a turn into batches of batchSize, in order', async () => {
    const s = store();
    const queue = new ConnectionOpenQueue({ write: s.write, batchSize: 2 });
    await Promise.all(['WK1', 'WK2', 'WK3', 'WK4', 'WK5'].map((sid) => queue.open(opening(sid))));
    expect(s.batches).toEqual([['WK1', 'WK2'], ['WK3', 'WK4'], ['WK5']]);
  });

  it('fails every opening of a batch whose write failed, and still writes the next', async () => {
    let calls = 0;
    const s = store(async (b) => {
      if (calls++ === 0) throw new Error('store down');
      return b.map((o) => committed(o.workerSid));
    });
    const queue = new ConnectionOpenQueue({ write: s.write, batchSize: 2 });
    const answers = await Promise.allSettled(['WK1', 'WK2', 'WK3'].map((sid) => queue.open(opening(sid))));
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(s.batches).toEqual([['WK1', 'WK2'], ['WK3']]);
  });

  it('fails the batch when the store answers fewer results than openings', async () => {
    const s = store(async (b) => b.slice(1).map((o) => committed(o.workerSid)));
    const queue = new ConnectionOpenQueue({ write: s.write });
    await expect(Promise.all([queue.open(opening('WK1')), queue.open(opening('WK2'))])).rejects.toThrow(/answered 1 of 2/);
    expect(queue.size).toBe(0);
  });

  it('joins the openings asked while a batch is being written into the next batch', async () => {
    let release: () => void = () => undefined;
    const s = store(async (b) => {
      if (b[0]?.workerSid === 'WK1') await new Promise<void>((resolve) => (release = resolve));
      return b.map((o) => committed(o.workerSid));
    });
    const queue = new ConnectionOpenQueue({ write: s.write });
    const first = queue.open(opening('WK1'));
    await new Promise((resolve) => setImmediate(resolve));
    const later = ['WK2', 'WK3'].map((sid) => queue.open(opening(sid)));
    release();
    await Promise.all([first, ...later]);
    expect(s.batches).toEqual([['WK1'], ['WK2', 'WK3']]);
  });
});
