/**
 * Caps on agent sockets: per client address and per worker. A slot is taken synchronously before
 * the first await of an upgrade, so concurrent upgrades cannot all squeeze past the cap, and is
 * given back exactly once: when the upgrade is refused or when the socket closes.
 */
export interface ConnectionCaps {
  readonly sessionsPerWorker: number;
  readonly connectionsPerIp: number;
}

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

export class ConnectionLimits {
  private readonly byAddress = new Map<string, number>();
  private readonly byWorker = new Map<string, number>();

  constructor(readonly caps: ConnectionCaps) {}

  /** A slot for one more socket from this address, or null at the cap. */
  admitAddress(address: string): Release | null {
    return take(this.byAddress, address, this.caps.connectionsPerIp);
  }

  /**
   * A slot for one more session of this worker, or null at the cap. A session that replaces the
   * others (closeExistingSessions=true) is never refused: it is about to close them.
   */
  admitWorker(workerSid: string, replacing: boolean): Release | null {
    return take(this.byWorker, workerSid, replacing ? Number.POSITIVE_INFINITY : this.caps.sessionsPerWorker);
  }

  /** Open or opening sockets counted for an address (for tests and diagnostics). */
  countOf(address: string): number {
    return this.byAddress.get(address) ?? 0;
  }
}

function take(counts: Map<string, number>, key: string, max: number): Release | null {
  const current = counts.get(key) ?? 0;
  if (current >= max) return null;
  counts.set(key, current + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (counts.get(key) ?? 1) - 1;
    if (left <= 0) counts.delete(key);
    else counts.set(key, left);
  };
}
