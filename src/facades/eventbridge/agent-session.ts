/** One accepted agent socket: a Connection of the presence machine, watched by the liveness wheels. */
import type { WebSocket } from 'ws';
import type { DisconnectReason } from '../../core/presence.js';
import type { WorkerGrant } from '../../service/access-tokens.js';
import type { Watched } from '../../service/liveness.js';
import type { Clock } from '../../service/ports.js';

export class AgentSession implements Watched {
  lastSeenAt: number;
  lostReason: DisconnectReason | null = null;
  /** Resolves once the connection is committed (or refused); the close waits for it. */
  opened: Promise<boolean> = Promise.resolve(false);

  constructor(
    readonly id: string,
    readonly socket: WebSocket,
    readonly grant: WorkerGrant,
    private readonly clock: Clock,
  ) {
    this.lastSeenAt = clock.now();
  }

  ping(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.ping();
  }

  heartbeat(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(' ');
  }

  lose(lastSeenAt: number): void {
    this.lostReason = 'heartbeat-lost';
    this.lastSeenAt = lastSeenAt;
    this.socket.terminate();
  }

  touch(): void {
    this.lastSeenAt = this.clock.now();
  }

  send(eventType: string, payload: unknown): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify({ event_type: eventType, payload }));
  }
}
