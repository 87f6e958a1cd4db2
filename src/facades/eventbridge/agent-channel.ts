/**
 * The agent WebSocket at `/v1/wschannels?token=…` (server → client only). The token is verified
 * at the upgrade and a refusal is a plain HTTP answer before any WebSocket exists, because the
 * SDK retries about once a second forever. An accepted socket gets `init` first, whitespace
 * heartbeat frames for the SDK's watchdog, protocol pings for our liveness, and the worker's
 * events. Every socket is one Connection of the presence machine.
 *
 * Connection ends are kept until the store takes them (ConnectionEndQueue). While the store fails,
 * or kept ends still wait to land, the channel accepts no new agents: an upgrade is answered 503,
 * and a connection whose opening the store failed to commit is closed with 1013 (try again later);
 * the SDK reconnects on any close, about once a second.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TaskRouterGrant, TokenPolicy } from '../../service/access-tokens.js';
import { within } from '../../service/clocks.js';
import { newSid } from '../../service/ids.js';
import { Liveness } from '../../service/liveness.js';
import { AgentPushes } from './agent-pushes.js';
import { AgentSession } from './agent-session.js';
import { rejectUpgrade } from './upgrade-refusal.js';
import { ConnectionEndQueue } from '../../service/connection-end-queue.js';
import { ConnectionOpenQueue } from '../../service/connection-open-queue.js';
import type { Bus, Clock, Log, Store } from '../../service/ports.js';
import type { PresenceService } from '../../service/presence-service.js';
import type { Backoff } from '../../service/store-health.js';
import type { ClientAddress } from '../http/client-address.js';
import type { ConnectionCaps } from './connection-limits.js';
import { SessionTokens } from './session-tokens.js';
import { UpgradeGate, type Admission } from './upgrade-gate.js';

export interface AgentChannelOptions {
  readonly store: Store;
  readonly presence: PresenceService;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Log;
  readonly pingIntervalMs: number;
  readonly livenessTimeoutMs: number;
  readonly heartbeatFrameMs: number;
  readonly tickMs: number;
  /** Waits between retries of connection ends the store failed to take. */
  readonly backoff?: Backoff;
  readonly tokenPolicy: TokenPolicy;
  readonly caps: ConnectionCaps;
  /** The client's address for the per-address cap (honours ROLLCALL_TRUST_PROXY). */
  readonly clientAddress: ClientAddress;
}

/** Close code for a connection the store could not record (RFC 6455 "Try Again Later"). */
export const CLOSE_TRY_AGAIN = 1013;
/** Connection ends committed per transaction; a burst of closes is split into batches of this size. */
const END_BATCH_SIZE = 250;
/** Connection openings committed per transaction (a reconnect storm); at most the upgrades in flight wait. */
const OPEN_BATCH_SIZE = 100;

export class AgentChannel {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
  private readonly liveness: Liveness;
  private readonly pushes: AgentPushes;
  private ticker: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private closing = false;
  private readonly ends: ConnectionEndQueue;
  private readonly opens: ConnectionOpenQueue;
  private readonly gate: UpgradeGate;
  private readonly tokens: SessionTokens;

  constructor(private readonly options: AgentChannelOptions) {
    this.ends = new ConnectionEndQueue({
      write: (endings) => options.presence.disconnectMany(endings),
      clock: options.clock, health: options.presence.health, log: options.log, batchSize: END_BATCH_SIZE, backoff: options.backoff,
    });
    this.opens = new ConnectionOpenQueue({ write: (openings) => options.presence.connectMany(openings), batchSize: OPEN_BATCH_SIZE });
    this.liveness = new Liveness({
      pingIntervalMs: options.pingIntervalMs,
      timeoutMs: options.livenessTimeoutMs,
      heartbeatIntervalMs: options.heartbeatFrameMs,
      tickMs: options.tickMs,
      sweepIntervalMs: Math.min(1000, options.livenessTimeoutMs / 4),
    });
    this.gate = new UpgradeGate(options);
    this.pushes = new AgentPushes(options.clock);
    this.tokens = new SessionTokens({ store: options.store, log: options.log, nowMs: options.clock.now() });
  }

  /** Sessions whose connection is committed (and which were sent `init`). */
  get connectionCount(): number {
    return this.pushes.size;
  }

  /**
   * Why no new agent is accepted now: the store fails, or ends kept through a failure still wait
   * (ends merely queued for this turn's batch do not count); null if agents are accepted.
   */
  get refusingBecause(): string | null {
    const failure = this.options.presence.health.failureReason;
    if (failure) return failure;
    if (this.ends.isBacklogged) return `${this.ends.size} kept connection ends are landing`;
    return null;
  }

  start(): void {
    this.ticker = setInterval(() => {
      const now = this.options.clock.now();
      this.liveness.tick(now);
      this.tokens.closeExpired(now);
    }, this.options.tickMs);
    this.tokens.start();
    this.unsubscribe = this.options.bus.subscribe((message) => this.pushes.onBus(message));
  }

  /**
   * This node was reaped by another (node-lease.ts): the store already ended its connections. Every
   * socket gets a 1012 close (service restart), which the SDK answers by reconnecting.
   */
  dropAll(): void {
    for (const ws of this.wss.clients) ws.close(1012, 'node lease lost; reconnect');
  }

  /** Holds a worker's pushes while an envelope request of that worker is answered (see AgentPushes.hold). */
  holdPushes(workerSid: string): () => void {
    return this.pushes.hold(workerSid);
  }

  /** A verified envelope request carried this token: sessions of its worker may move onto it (session-tokens.ts). */
  refreshToken(grant: TaskRouterGrant): void {
    this.tokens.refresh(grant, (workerSid) => this.pushes.of(workerSid));
  }

  /** Handles an HTTP upgrade for `/v1/wschannels`; any other path is refused with 404. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node hands an upgrade's socket over with no 'error' listener: a client that leaves while its
    // token is checked (ECONNRESET, or EPIPE on the refusal) would otherwise crash the process.
    const onError = (error: Error): void => {
      this.options.log.debug({ err: error }, 'agent upgrade socket error');
      socket.destroy();
    };
    socket.on('error', onError);
    void this.upgrade(req, socket, head, onError).catch((error: unknown) => {
      this.options.log.error({ err: error }, 'agent channel upgrade failed');
      rejectUpgrade(socket, 500, 'Internal error');
    });
  }

  /**
   * First step of a graceful stop: no new agents, and the connection ends queued so far land (with
   * their true last sign of life) before the node retires the rest, for at most `withinMs`
   * (a wall-clock budget of the stop). Resolves true if every end landed.
   */
  async stopAccepting(withinMs: number): Promise<boolean> {
    this.closing = true;
    if (this.ticker) clearInterval(this.ticker);
    this.tokens.stop();
    this.unsubscribe?.();
    return (await within(withinMs, this.ends.drained())) ?? false;
  }

  /**
   * Last step of a graceful stop (presence was retired before): every socket gets a 1001 close;
   * those whose peer has not completed the close handshake within `withinMs` (a half-open socket,
   * a client that stopped reading) are terminated. Resolves once every socket is gone.
   */
  async close(withinMs: number): Promise<void> {
    this.closing = true;
    if (this.ticker) clearInterval(this.ticker);
    this.tokens.stop();
    this.unsubscribe?.();
    const clients = [...this.wss.clients];
    const allClosed = Promise.all(clients.map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) resolve();
      else ws.once('close', () => resolve());
    })));
    for (const ws of clients) ws.close(1001, 'server shutting down');
    await within(withinMs, allClosed);
    const stuck = clients.filter((ws) => ws.readyState !== ws.CLOSED);
    if (stuck.length > 0) this.options.log.warn({ sockets: stuck.length }, 'sockets that did not finish the close handshake in time were terminated');
    for (const ws of stuck) ws.terminate();
    await allClosed;
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.ends.stop();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onError: (error: Error) => void): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://rollcall.invalid');
    if (url.pathname.replace(/\/+$/, '') !== '/v1/wschannels') return rejectUpgrade(socket, 404, `No WebSocket endpoint at ${url.pathname}`);
    if (this.closing) return rejectUpgrade(socket, 503, 'The server is shutting down');
    const refusing = this.refusingBecause;
    if (refusing) return rejectUpgrade(socket, 503, `This server accepts no agents until its store recovers: ${refusing}`);
    // The address cap, the token, the worker cap and the worker (upgrade-gate.ts); a store failure
    // on the way is the store's, answered 503 (the gate has given its slots back).
    const admitted = await this.storeRead(() => this.gate.admit(req, socket, url));
    if (admitted === undefined) return rejectUpgrade(socket, 503, 'This server cannot reach its store; try again');
    if (!admitted) return;
    // A socket that goes before it is a WebSocket gives its slots back (`ws` may also abandon a bad
    // handshake without calling back); both releases are idempotent.
    const gone = (): void => {
      admitted.settled();
      admitted.release();
    };
    socket.once('close', gone);
    // The client may have left, or the stop begun, while the token was checked.
    if (this.closing || socket.destroyed) {
      admitted.release();
      admitted.settled();
      return rejectUpgrade(socket, 503, 'The server is shutting down');
    }
    socket.off('error', onError);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // From here the session gives the slots back (at its close, and once its opening is committed).
      socket.off('close', gone);
      this.accept(ws, socket, admitted);
    });
  }

  /** A read the upgrade needs; a failure is the store's (reported, not thrown): undefined. */
  private async storeRead<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      this.options.presence.health.failed('agent sign-ins', error, false);
      return undefined;
    }
  }

  private accept(ws: WebSocket, socket: Duplex, { grant, closeExisting, exempt, release, settled }: Admission): void {
    const { clock, presence, log } = this.options;
    const session = new AgentSession(newSid('connection'), ws, grant, clock, release);
    socket.once('end', () => session.peerGone());
    const slog = log.child({ workerSid: grant.workerSid, connectionId: session.id });
    ws.on('pong', () => session.touch());
    ws.on('message', () => session.touch());
    ws.on('error', (error) => slog.debug({ err: error }, 'agent socket error'));
    ws.on('close', () => this.ended(session));
    // Watched from the handshake, not from the commit: during a reconnect storm the commit can
    // take longer than the liveness timeout, and silence the server never asked about is no
    // evidence (a session watched only after its commit was lost right after its `init`).
    this.liveness.add(session);
    session.opened = (async () => {
      const result = await this.opens.open({ workspaceSid: grant.workspaceSid, workerSid: grant.workerSid, connectionId: session.id, exempt });
      presence.health.succeeded('connections opened');
      if (!result.ok) {
        ws.close(4004, result.refusal.message.slice(0, 120));
        return false;
      }
      // The socket may have closed while the connection was being committed; `ended` records that.
      if (ws.readyState !== ws.OPEN) return true;
      const older = [...this.pushes.of(grant.workerSid)];
      this.track(session);
      session.greet({
        channel_id: grant.workerSid,
        account_sid: grant.accountSid,
        workspace_sid: grant.workspaceSid,
        token_lifetime: Math.max(0, grant.expiresAt - clock.now()),
      });
      if (closeExisting) for (const old of older) old.replaced();
      slog.debug({ exempt, closeExisting }, 'agent connected');
      return true;
    })().catch((error: unknown) => {
      // Nothing was committed: the agent is told (its SDK reconnects) rather than left unrecorded.
      presence.health.failed('connections opened', error, false);
      slog.debug({ err: error }, 'opening the connection failed');
      ws.close(CLOSE_TRY_AGAIN, 'The store is unavailable; try again');
      return false;
    });
    // The upgrade is over once its connection is committed (or refused): the next one may start.
    void session.opened.finally(settled);
  }

  private track(session: AgentSession): void {
    this.pushes.add(session);
    this.tokens.add(session);
  }

  /**
   * A socket closed. Everything time-sensitive happens now, in the close handler: the session
   * leaves the wheels, and the close time is taken: when the peer's EOF was read, if it was (a close
   * is itself a sign of life, rule 4; a silent loss counts from the last pong). The store write is queued and committed in batches,
   * so a mass disconnect is a few transactions, not one per socket, and the loop keeps turning.
   */
  private ended(session: AgentSession): void {
    session.release();
    this.liveness.remove(session);
    this.tokens.remove(session);
    this.pushes.remove(session);
    // While shutting down, the node was retired first: the store ended these connections already.
    if (this.closing) return;
    const reason = session.lostReason ?? 'closed';
    const lastSeenAt = session.lostReason ? session.lastSeenAt : session.closedAt();
    this.ends.push({ connectionId: session.id, reason, lastSeenAt }, session.opened);
  }
}
