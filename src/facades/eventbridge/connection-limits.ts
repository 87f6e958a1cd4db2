/**
 * Caps on agent sockets: per client address and per worker, and on upgrades being admitted at once
 * (admission control for a reconnect storm). A slot is taken synchronously before
 * the first await of an upgrade, so concurrent upgrades cannot all squeeze past the cap, and is
 * given back exactly once: when the upgrade is refused or when the socket closes.
 */
export interface ConnectionCaps {
  readonly sessionsPerWorker: number;
  readonly connectionsPerIp: number;
  /** Upgrades between their first byte and their committed connection (or refusal), at once. */
  readonly upgradesInFlight: number;
}

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

export class ConnectionLimits {
  private readonly byAddress = new Map<string, number>();
  private readonly byWorker = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();

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

  /**
   * A slot for one more upgrade in progress, or null at the bound. It is taken before any token
   * work and given back once the connection is committed (or refused), so a storm of reconnecting
   * agents queues in their own back-off rather than in this process's memory and store pool.
   */
  admitUpgrade(): Release | null {
    return take(this.inFlight, '', this.caps.upgradesInFlight);
  }

  /** Upgrades in progress now. */
  get upgradesInProgress(): number {
    return this.inFlight.get('') ?? 0;
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
