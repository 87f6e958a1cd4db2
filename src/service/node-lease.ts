/**
 * The node's lease on the shared store (issue 11 item 3, scale-out.md §1.3). Every `heartbeatMs`
 * the node renews its row; with several nodes on one database each renewal also reaps the nodes
 * whose lease ran out (their connections end at their last heartbeat, reason `node-lost`). A renewal
 * that finds this node's own row retired means another node reaped it: its agents were already
 * disconnected in the store, so the node registers again under a new id and drops its sockets (the
 * SDK reconnects, now to a live node). Renewals never overlap; a failed one is the store health's.
 * A reap runs beside the renewals, not inside one: ending a dead node's tens of thousands of
 * connections takes longer than a lease, and a node that skipped its own renewals meanwhile would
 * be reaped in turn (with all its connected agents).
 */
import type { Log } from './ports.js';
import type { PresenceService } from './presence-service.js';

export interface NodeLeaseOptions {
  readonly presence: PresenceService;
  readonly log: Log;
  readonly heartbeatMs: number;
  /** Reap expired nodes at each renewal (PostgreSQL: several nodes); SQLite reaps only at start. */
  readonly reapsOthers: boolean;
  /** A fresh node id for the rejoin. */
  readonly newNodeId: () => string;
  /** Closes every agent socket of this node (after the rejoin, so reconnects land on the new id). */
  readonly dropAgents: () => void;
  /** Re-reads the store's time (store-clock.ts); null when the node's clock is the store's. */
  readonly syncClock?: (() => Promise<void>) | null;
}

export class NodeLease {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private reaping: Promise<void> | null = null;

  constructor(private readonly options: NodeLeaseOptions) {}

  /**
   * Renews every `heartbeatMs` from now on. The timer does not keep the process alive by itself: a
   * start that fails part-way must not leave a process renewing a lease for nothing.
   */
  start(): void {
    this.timer = setInterval(() => void this.renew(), this.options.heartbeatMs);
    this.timer.unref();
  }

  /** Stops renewing and waits for a renewal under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.reaping;
  }

  /** One renewal (and a reap started unless one runs); a renewal already under way is not doubled. */
  renew(): Promise<void> {
    this.running ??= this.renewOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async renewOnce(): Promise<void> {
    const { presence, log } = this.options;
    const live = await presence.heartbeat();
    if (live === null) return; // the store failed: reported to its health, the next beat retries
    if (!live) await this.rejoin();
    try {
      await this.options.syncClock?.();
    } catch (error) {
      log.warn({ err: error }, 'reading the store clock failed; keeping the last reading');
    }
    if (this.options.reapsOthers) this.reaping ??= this.reapOnce().finally(() => (this.reaping = null));
  }

  private async reapOnce(): Promise<void> {
    const { presence, log } = this.options;
    try {
      const reaped = await presence.reapExpired('node-lost');
      if (reaped > 0) log.warn({ connections: reaped }, 'connections of nodes whose lease ran out ended at their last heartbeat');
    } catch (error) {
      presence.health.failed('node reap', error);
      return;
    }
    presence.health.succeeded('node reap');
  }

  private async rejoin(): Promise<void> {
    const { presence, log } = this.options;
    const reapedId = presence.nodeId;
    const nodeId = this.options.newNodeId();
    try {
      await presence.rejoin(nodeId);
    } catch (error) {
      presence.health.failed('node heartbeat', error);
      return;
    }
    log.warn({ reapedNodeId: reapedId, newNodeId: nodeId }, 'this node was reaped by another (its lease ran out); registered again and closing its agent sockets');
    this.options.dropAgents();
  }
}
