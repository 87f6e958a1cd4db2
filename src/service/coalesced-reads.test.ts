import { describe, expect, it } from 'vitest';
import { coalescedTokenReads, SingleFlight } from './coalesced-reads.js';
import type { TokenReads } from './coalesced-reads.js';

/** A read that answers when told to, counting how often it was started. */
function gatedRead<V>(value: V) {
  const gate = { started: 0, release: (): void => undefined };
  const read = (): Promise<V> => {
    gate.started++;
    return new Promise<V>((resolve) => (gate.release = () => resolve(value)));
  };
  return { gate, read };
}

describe('SingleFlight', () => {
  it('gives reads of one key asked while it runs the same answer from one read', async () => {
    const flights = new SingleFlight<string>();
    const { gate, read } = gatedRead('K1');
    const answers = [flights.get('a', read), flights.get('a', read), flights.get('a', read)];
    expect(gate.started).toBe(1);
    gate.release();
    expect(await Promise.all(answers)).toEqual(['K1', 'K1', 'K1']);
    expect(flights.size).toBe(0);
  });

  it('keeps nothing once a read has settled: the next one reads again', async () => {
    const flights = new SingleFlight<number>();
    let reads = 0;
    expect(await flights.get('a', async () => ++reads)).toBe(1);
    expect(await flights.get('a', async () => ++reads)).toBe(2);
  });

  it('keeps keys apart, and passes a failure to every waiter without keeping it', async () => {
    const flights = new SingleFlight<string>();
    let fail = true;
    const read = async (): Promise<string> => {
      if (fail) throw new Error('store down');
      return 'ok';
    };
    const [x, y, other] = await Promise.allSettled([flights.get('a', read), flights.get('a', read), flights.get('b', async () => 'b')]);
    expect([x.status, y.status, other.status]).toEqual(['rejected', 'rejected', 'fulfilled']);
    fail = false;
    expect(await flights.get('a', read)).toBe('ok');
  });
});

describe('coalescedTokenReads', () => {
  it('shares the API key and workspace reads of concurrent verifications', async () => {
    let keyReads = 0;
    let workspaceReads = 0;
    const store = {
      findApiKey: async (sid: string) => (keyReads++, { sid }),
      findWorkspace: async (sid: string) => (workspaceReads++, { sid }),
    } as unknown as TokenReads;
    const reads = coalescedTokenReads(store);
    await Promise.all([reads.findApiKey('SK1'), reads.findApiKey('SK1'), reads.findApiKey('SK2'), reads.findWorkspace('WS1'), reads.findWorkspace('WS1')]);
    expect([keyReads, workspaceReads]).toEqual([2, 1]);
  });
});
