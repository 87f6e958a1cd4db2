/**
 * Reads shared while in flight ("single flight"): a read of a key asked while the same read is
 * already running gets that read's answer instead of a second round trip. A reconnect storm is
 * thousands of upgrades signed by one API key into one workspace; on PostgreSQL each would
 * otherwise read the key and the workspace again. Nothing is kept after a read settles, so no
 * answer is older than a read that was running when it was asked: a key revoked before a read
 * starts is never accepted.
 */
import type { AdminStore } from './ports.js';

export class SingleFlight<V> {
  private readonly running = new Map<string, Promise<V>>();

  /** The running read of `key`, or a new one from `read`. */
  get(key: string, read: () => Promise<V>): Promise<V> {
    const running = this.running.get(key);
    if (running) return running;
    const started = read().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }

  /** Reads in flight now (for tests). */
  get size(): number {
    return this.running.size;
  }
}

export type TokenReads = Pick<AdminStore, 'findApiKey' | 'findWorkspace'>;

/** The reads an access token's verification makes, shared while in flight. */
export function coalescedTokenReads(store: TokenReads): TokenReads {
  const keys = new SingleFlight<Awaited<ReturnType<TokenReads['findApiKey']>>>();
  const workspaces = new SingleFlight<Awaited<ReturnType<TokenReads['findWorkspace']>>>();
  return {
    findApiKey: (sid) => keys.get(sid, () => store.findApiKey(sid)),
    findWorkspace: (sid) => workspaces.get(sid, () => store.findWorkspace(sid)),
  };
}
