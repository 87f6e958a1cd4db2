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

/**
 * How long held pushes wait after the answer is written. Writing the answer first is not enough:
 * the SDK reads it through axios, which takes a few milliseconds of its own turns before the
 * promise resolves, and a push written one turn after the answer was seen to arrive first (the
 * SDK's TaskTransfer spec missed the initiator's `updated` in about one run of four). Twilio's own
 * events trail its answers by more than this.
 */
export const HELD_PUSH_GRACE_MS = 25;

interface QueuedPush {
  readonly eventType: string;
  readonly payload: unknown;
  /** The holds still to be lifted before this push may go. */
  readonly waitsFor: Set<number>;
}

export class AgentPushes {
  private readonly sessions = new Map<string, Set<AgentSession>>();
  /** Per worker, the envelope requests in flight that may cause its pushes (see `hold`). */
  private readonly active = new Map<string, Set<number>>();
  /** Per worker, pushes waiting for requests' answers, in order. */
  private readonly queued = new Map<string, QueuedPush[]>();
  private holdCount = 0;
  private sessionCount = 0;

  constructor(private readonly clock: Clock) {}

  /** Sessions held, of all workers. */
  get size(): number {
    return this.sessionCount;
  }

  /** The worker's open sessions. */
  of(workerSid: string): Iterable<AgentSession> {
    return this.sessions.get(workerSid) ?? [];
  }

  add(session: AgentSession): void {
    let set = this.sessions.get(session.grant.workerSid);
    if (!set) this.sessions.set(session.grant.workerSid, (set = new Set()));
    if (!set.has(session)) this.sessionCount++;
    set.add(session);
  }

  remove(session: AgentSession): void {
    const set = this.sessions.get(session.grant.workerSid);
    if (set?.delete(session)) this.sessionCount--;
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
   * Holds a worker's pushes while an envelope request is answered: the SDK acts on the HTTP answer
   * first (it registers `reservation.on('accepted')` once `accept()` resolved), so the events the
   * request caused must reach it after the answer. A hold lasts until `HELD_PUSH_GRACE_MS` after the
   * answer was written, which also covers what the request set off on later turns (a transfer's
   * offer comes from the routing pass it kicked). A push waits for the holds in force when it was
   * sent, not for holds taken after it, and the worker's pushes keep their order. The returned
   * release is called once the answer is written (or the request closed); a second call is ignored.
   */
  hold(workerSid: string): () => void {
    const id = ++this.holdCount;
    let active = this.active.get(workerSid);
    if (!active) this.active.set(workerSid, (active = new Set()));
    active.add(id);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      setTimeout(() => this.lift(workerSid, id), HELD_PUSH_GRACE_MS).unref();
    };
  }

  private lift(workerSid: string, holdId: number): void {
    const active = this.active.get(workerSid);
    active?.delete(holdId);
    if (active?.size === 0) this.active.delete(workerSid);
    const queue = this.queued.get(workerSid);
    if (!queue) return;
    for (const entry of queue) entry.waitsFor.delete(holdId);
    let ready = 0;
    while (ready < queue.length && queue[ready]!.waitsFor.size === 0) ready++;
    const due = queue.splice(0, ready);
    if (queue.length === 0) this.queued.delete(workerSid);
    for (const { eventType, payload } of due) for (const session of this.of(workerSid)) session.send(eventType, payload);
  }

  private send(workerSid: string, eventType: string, payload: unknown): void {
    const active = this.active.get(workerSid);
    const queue = this.queued.get(workerSid);
    if (!active && !queue) {
      for (const session of this.of(workerSid)) session.send(eventType, payload);
      return;
    }
    const entry: QueuedPush = { eventType, payload, waitsFor: new Set(active) };
    if (queue) queue.push(entry);
    else this.queued.set(workerSid, [entry]);
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
