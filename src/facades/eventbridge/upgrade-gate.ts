/**
 * Who may open an agent socket, decided before any WebSocket exists and answered on the raw
 * socket (the SDK retries a refused upgrade about once a second, so a refusal must be cheap): the
 * bound on upgrades in progress first (admission control: 503 with Retry-After, which the SDK
 * retries like any failed upgrade), then the per-address cap (no token work for a flood), then
 * the token, then the per-worker cap and the worker itself. An admission carries the slots it
 * took; a refusal has given them back.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isWorkerGrant, verifyAccessToken, type TokenPolicy, type WorkerGrant } from '../../service/access-tokens.js';
import type { Clock, Store } from '../../service/ports.js';
import type { ClientAddress } from '../http/client-address.js';
import { rejectRefusal, rejectUpgrade } from './upgrade-refusal.js';
import { ConnectionLimits, type ConnectionCaps, type Release } from './connection-limits.js';

export interface Admission {
  readonly grant: WorkerGrant;
  readonly closeExisting: boolean;
  /** `setWorkerOfflineIfDisconnected=false`: this connection's end never logs the worker out. */
  readonly exempt: boolean;
  /** Gives back both slots; the session calls it when its socket closes. */
  readonly release: Release;
  /** Gives back the upgrade-in-progress slot: the connection is committed, refused, or its socket gone. */
  readonly settled: Release;
}

/** What a refused upgrade beyond the bound tells the client to wait (the SDK waits 0.8–1 s anyway). */
export const UPGRADE_RETRY_AFTER_S = 1;

export interface UpgradeGateOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly tokenPolicy: TokenPolicy;
  readonly caps: ConnectionCaps;
  readonly clientAddress: ClientAddress;
}

export class UpgradeGate {
  private readonly limits: ConnectionLimits;

  constructor(private readonly options: UpgradeGateOptions) {
    this.limits = new ConnectionLimits(options.caps);
  }

  /** An admission, or null once the refusal has been written to the socket. */
  async admit(req: IncomingMessage, socket: Duplex, url: URL): Promise<Admission | null> {
    const settled = this.limits.admitUpgrade();
    if (!settled) {
      rejectUpgrade(socket, 503, `Too many agents are connecting at once (at most ${this.options.caps.upgradesInFlight} in progress); try again`, UPGRADE_RETRY_AFTER_S);
      return null;
    }
    const address = this.options.clientAddress(req);
    const addressSlot = this.limits.admitAddress(address);
    if (!addressSlot) {
      settled();
      return refused(socket, 429, `Too many agent connections from ${address} (at most ${this.options.caps.connectionsPerIp})`);
    }
    let admission: Admission | null = null;
    try {
      admission = await this.admitWorker(socket, url, addressSlot, settled);
      return admission;
    } finally {
      if (!admission) {
        addressSlot();
        settled();
      }
    }
  }

  /** Upgrades in progress now (for tests and diagnostics). */
  get upgradesInProgress(): number {
    return this.limits.upgradesInProgress;
  }

  private async admitWorker(socket: Duplex, url: URL, addressSlot: Release, settled: Release): Promise<Admission | null> {
    const { store, clock, tokenPolicy, caps } = this.options;
    const verified = await verifyAccessToken(store, url.searchParams.get('token'), clock.now(), tokenPolicy);
    if (!verified.ok) return rejectRefusal(socket, verified.refusal), null;
    const grant = verified.value;
    if (!isWorkerGrant(grant)) return refused(socket, 403, 'A workspace token (no worker_sid) cannot open the agent channel');
    const closeExisting = url.searchParams.get('closeExistingSessions') === 'true';
    const workerSlot = this.limits.admitWorker(grant.workerSid, closeExisting);
    if (!workerSlot) {
      return refused(socket, 429, `Worker ${grant.workerSid} has ${caps.sessionsPerWorker} open sessions already (the most allowed); close one, or connect with closeExistingSessions=true`);
    }
    let found = false;
    try {
      found = (await store.findWorker(grant.workspaceSid, grant.workerSid)) !== null;
    } finally {
      if (!found) workerSlot();
    }
    if (!found) return refused(socket, 404, `Worker ${grant.workerSid} was not found`);
    const release = (): void => {
      workerSlot();
      addressSlot();
    };
    return { grant, closeExisting, exempt: url.searchParams.get('setWorkerOfflineIfDisconnected') === 'false', release, settled };
  }
}

function refused(socket: Duplex, status: number, message: string): null {
  rejectUpgrade(socket, status, message);
  return null;
}
