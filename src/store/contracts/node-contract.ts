/**
 * The node contract (NodeStore): a node's connections end when it stops, cleanly (as of now) or
 * not (at its last stored heartbeat, rule 11), and a retired node holds no connection again. Not
 * part of the build; an engine's test file calls `describeNodeContract` with its factory.
 */
import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './handle.js';
import { logouts, must, THRESHOLD_MS, world } from './presence-contract.js';

export function describeNodeContract(engine: string, factory: StoreFactory): void {
  describe(`Node store contract: ${engine}`, () => {
    it('treats the connections of a dead node as lost at its last heartbeat (a restart)', async () => {
      const w = await world(factory);
      await w.store.registerNode('NDold');
      must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.alice.sid, connectionId: 'CN1', nodeId: 'NDold', exempt: false }));
      w.clock.advance(2000);
      expect(await w.store.heartbeatNode('NDold')).toBe(true);
      expect(await w.store.storeNow()).toBe(w.clock.now());
      const heartbeatAt = w.clock.now();
      w.clock.advance(45_000); // down longer than the threshold
      await w.store.registerNode('NDnew');
      const reaped = await w.store.reapNodes('NDnew', 'server-restart');
      expect(reaped[0]?.outputs[0]).toEqual({ type: 'disconnected', lastSeenAt: heartbeatAt, reason: 'server-restart', detectedAt: w.clock.now() });
      expect(await w.store.nextDueAt()).toBe(heartbeatAt + THRESHOLD_MS);
      const fired = await w.store.claimDueDeadlines(500);
      expect(logouts(fired)[0]?.change).toMatchObject({ effectiveAt: heartbeatAt + THRESHOLD_MS });
      // The dead node may not register connections any more.
      await expect(w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.bob.sid, connectionId: 'CN9', nodeId: 'NDold', exempt: false })).rejects.toThrow(/retired/);
      expect(await w.store.reapNodes('NDnew', 'server-restart')).toEqual([]);
      // The reaped node learns it at its next renewal: its lease is not renewed.
      expect(await w.store.heartbeatNode('NDold')).toBe(false);
      expect(await w.store.heartbeatNode('NDnew')).toBe(true);
      await w.handle.dispose();
    });

    it('ends a retiring node\'s connections as of now and lets it hold none again', async () => {
      const w = await world(factory);
      await w.store.registerNode('NDa');
      must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.alice.sid, connectionId: 'CN1', nodeId: 'NDa', exempt: false }));
      w.clock.advance(5000);
      const stoppedAt = w.clock.now();
      const ended = await w.store.retireNode('NDa', 'server-restart');
      expect(ended.map((c) => c.worker.sid)).toEqual([w.alice.sid]);
      expect(ended[0]?.outputs[0]).toEqual({ type: 'disconnected', lastSeenAt: stoppedAt, reason: 'server-restart', detectedAt: stoppedAt });
      expect(await w.store.nextDueAt()).toBe(stoppedAt + THRESHOLD_MS);
      await expect(w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.bob.sid, connectionId: 'CN2', nodeId: 'NDa', exempt: false })).rejects.toThrow(/retired/);
      // A batch on the retired node fails as a whole and opens nothing.
      await expect(w.store.openConnections([
        { workspaceSid: w.workspace.sid, workerSid: w.bob.sid, connectionId: 'CN3', nodeId: 'NDa', exempt: false },
        { workspaceSid: w.workspace.sid, workerSid: w.alice.sid, connectionId: 'CN4', nodeId: 'NDa', exempt: false },
      ])).rejects.toThrow(/retired/);
      expect(await w.store.endConnection({ connectionId: 'CN3', reason: 'closed', lastSeenAt: w.clock.now() })).toBeNull();
      // A heartbeat of a retired node revives nothing, and a later node has nothing of it to reap.
      expect(await w.store.heartbeatNode('NDa')).toBe(false);
      await w.store.registerNode('NDb');
      expect(await w.store.reapNodes('NDb', 'server-restart')).toEqual([]);
      await w.handle.dispose();
    });
  });
}
