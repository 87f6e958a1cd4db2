/**
 * One agent socket: a Connection of the presence machine, watched by the liveness wheels and by
 * the token watch (its grant is the freshest token seen for its worker).
 */
import type { WebSocket } from 'ws';
import type { DisconnectReason } from '../../core/presence.js';
import type { WorkerGrant } from '../../service/access-tokens.js';
import type { Watched } from '../../service/liveness.js';
import type { Clock } from '../../service/ports.js';
import type { Release } from './connection-limits.js';

/** Close code sent to sessions replaced by `closeExistingSessions=true`. */
export const CLOSE_REPLACED = 4000;

export class AgentSession implements Watched {
  lastSeenAt: number;
  lostReason: DisconnectReason | null = null;
  /** When the peer's end of the TCP stream was read (EOF), before `ws` reports the close. */
  private peerGoneAt: number | null = null;
  /** Sent its `init`: the session is watched from its handshake, but heartbeat frames wait for it. */
  private greeted = false;
  /** Resolves once the connection is committed (or refused); the close waits for it. */
  opened: Promise<boolean> = Promise.resolve(false);

  constructor(
    readonly id: string,
    readonly socket: WebSocket,
    public grant: WorkerGrant,
    private readonly clock: Clock,
    /** Gives back the address and worker slots (connection-limits.ts) once the socket is gone. */
    readonly release: Release,
  ) {
    this.lastSeenAt = clock.now();
  }

  ping(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.ping();
  }

  heartbeat(): void {
    if (this.greeted && this.socket.readyState === this.socket.OPEN) this.socket.send(' ');
  }

  /** The first frame the SDK reads (its connection is committed by now). */
  greet(payload: { channel_id: string; account_sid: string; workspace_sid: string; token_lifetime: number }): void {
    this.greeted = true;
    this.send('init', payload);
  }

  lose(lastSeenAt: number): void {
    this.lostReason = 'heartbeat-lost';
    this.lastSeenAt = lastSeenAt;
    this.socket.terminate();
  }

  /**
   * The peer closed its side: the first sign of a close, read as the EOF arrives. `ws` reports the
   * close only after its own shutdown and the handle's close callback, a later phase of the loop;
   * when thousands drop at once that is hundreds of milliseconds later (issue 12, item 1).
   */
  peerGone(): void {
    this.peerGoneAt ??= this.clock.now();
  }

  /** The close time of a socket that closed (not lost): when its EOF was read, else now. */
  closedAt(): number {
    return this.peerGoneAt ?? this.clock.now();
  }

  touch(): void {
    this.lastSeenAt = this.clock.now();
  }

  /**
   * Ends a session replaced by a newer one. An `init` with a zero token lifetime first makes the
   * old SDK stop reconnecting; without it two tabs would kick each other forever.
   */
  replaced(): void {
    this.stopReconnecting();
    this.socket.close(CLOSE_REPLACED, 'Replaced by a newer session');
  }

  /**
   * An `init` with a zero token lifetime: the SDK's expiry timer fires at once, it emits
   * `tokenExpired` and stops reconnecting until the app calls `updateToken`.
   */
  stopReconnecting(): void {
    this.send('init', { channel_id: this.grant.workerSid, account_sid: this.grant.accountSid, workspace_sid: this.grant.workspaceSid, token_lifetime: 0 });
  }

  send(eventType: string, payload: unknown): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify({ event_type: eventType, payload }));
  }
}
