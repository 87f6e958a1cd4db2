/**
 * The agent sessions of each worker, and what reaches them: worker, reservation, task, channel and
 * transfer events in the EventBridge dialect, in commit order, held back while an envelope request
 * of that worker is being answered (see `hold`).
 */
import type { Reservation } from '../../core/routing-resources.js';
import type { BusMessage, Clock } from '../../service/ports.js';
import type { AgentPush } from '../../service/routing-ports.js';
import type { AgentSession } from './agent-session.js';
import { ebReservation, ebTask, ebTransfer, ebWorker, ebWorkerChannel } from './dialect.js';

const PUSHED_EVENTS = new Set(['worker.activity.update', 'worker.attributes.update']);

export class AgentPushes {
  private readonly sessions = new Map<string, Set<AgentSession>>();
  private readonly held = new Map<string, { holds: number; queue: [string, unknown][] }>();

  constructor(private readonly clock: Clock) {}

  /** The worker's open sessions. */
  of(workerSid: string): Iterable<AgentSession> {
    return this.sessions.get(workerSid) ?? [];
  }

  add(session: AgentSession): void {
    let set = this.sessions.get(session.grant.workerSid);
    if (!set) this.sessions.set(session.grant.workerSid, (set = new Set()));
    set.add(session);
  }

  remove(session: AgentSession): void {
    const set = this.sessions.get(session.grant.workerSid);
    set?.delete(session);
    if (set?.size === 0) this.sessions.delete(session.grant.workerSid);
  }

  /** What the bus carries to agents: pushes, worker changes, and a deleted worker's end. */
  onBus(message: BusMessage): void {
    if (message.push) return this.deliver(message.push);
    if (message.event?.eventType === 'worker.deleted') return this.closeWorker(message.event.resourceSid, 'Worker deleted');
    if (!message.worker || !message.event || !PUSHED_EVENTS.has(message.event.eventType)) return;
    this.send(message.worker.sid, message.event.eventType, ebWorker(message.worker));
  }

  /**
   * Holds a worker's pushes while an envelope request of that worker is answered: the SDK acts
   * on the HTTP answer first (it registers `reservation.on('accepted')` once `accept()` resolved),
   * so the events the request caused must reach it after the answer. The returned release, called
   * once the answer is written, sends what was held, in order, on the next turn.
   */
  hold(workerSid: string): () => void {
    const held = this.held.get(workerSid) ?? { holds: 0, queue: [] };
    held.holds++;
    this.held.set(workerSid, held);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      setImmediate(() => {
        held.holds--;
        if (held.holds > 0) return;
        this.held.delete(workerSid);
        for (const [eventType, payload] of held.queue) for (const session of this.of(workerSid)) session.send(eventType, payload);
      });
    };
  }

  private send(workerSid: string, eventType: string, payload: unknown): void {
    const held = this.held.get(workerSid);
    if (held) held.queue.push([eventType, payload]);
    else for (const session of this.of(workerSid)) session.send(eventType, payload);
  }

  /** Closes every session of a worker that no longer exists (4004: the SDK treats it like any close). */
  private closeWorker(workerSid: string, reason: string): void {
    for (const session of this.of(workerSid)) session.socket.close(4004, reason);
  }

  /** Sends a reservation, task or channel event to the worker's open sessions. */
  private deliver(push: AgentPush): void {
    const sessions = this.sessions.get(push.workerSid);
    if (!sessions || sessions.size === 0) return;
    const now = this.clock.now();
    let payload: Record<string, unknown>;
    if ('channel' in push) payload = ebWorkerChannel(push.channel);
    else if ('transfer' in push) payload = ebTransfer(push.transfer);
    else if (push.eventType.startsWith('task')) payload = ebTask(push.task, now);
    else payload = ebReservation(push.reservation as Reservation, push.task, now, { incoming: push.incomingTransfer ?? null, outgoing: push.outgoingTransfer ?? null });
    this.send(push.workerSid, push.eventType, payload);
  }
}
