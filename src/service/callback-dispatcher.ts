/**
 * Delivers the callback outbox: workspace event callbacks and workflow assignment callbacks, as
 * form POSTs signed with `X-Twilio-Signature`. It never runs inside a change: the store owes a
 * callback in the event's transaction, the bus (after commit) wakes this, and delivery happens
 * here, a few at a time. Every attempt is recorded on its outbox row; a failing one is logged at
 * warn and retried with backoff (event callbacks) or tried at the fallback URL (assignment
 * callbacks). At start it drains what a previous process left owed.
 */
import { MAX_CALLBACK_ATTEMPTS, readAssignmentAnswer, retryDelayMs, type AssignmentAnswer, type CallbackParams } from '../core/callbacks.js';
import type { Result } from '../core/errors.js';
import type { CallbackAttemptOutcome, CallbackDelivery, CallbackStore } from './callback-ports.js';
import { twilioSignature } from './callback-signature.js';
import type { AdminStore, Bus, Cancel, Clock, Log } from './ports.js';

/** Applies an assignment callback's `accept` or `reject` to a still pending reservation. */
export type AssignmentApplier = (workspaceSid: string, reservationSid: string, status: 'accepted' | 'rejected') => Promise<Result<unknown>>;

export interface CallbackDispatcherOptions {
  readonly store: CallbackStore & Pick<AdminStore, 'findAccount'>;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Log;
  readonly applyAssignment: AssignmentApplier;
  /** Wait before the first retry; each next one doubles it. */
  readonly retryBaseMs: number;
  /** How long a callback may take to answer (Twilio allows 15 s). */
  readonly timeoutMs: number;
  /** Deliveries in flight at once. */
  readonly concurrency?: number;
  /** Told of each failed delivery after it is logged (metrics); `final`: no retry follows. */
  readonly onDeliveryFailed?: (kind: CallbackDelivery['kind'], final: boolean) => void;
}

interface Attempt { readonly url: string; readonly httpStatus: number | null; readonly body: string; readonly error: string | null }

const isSuccess = (a: Attempt): boolean => a.httpStatus !== null && a.httpStatus >= 200 && a.httpStatus < 300;

export class CallbackDispatcher {
  private inFlight = 0;
  private draining = false;
  private again = false;
  private stopped = true;
  private timer: Cancel | null = null;
  private timerAt: number | null = null;
  private unsubscribe: Cancel | null = null;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: CallbackDispatcherOptions) {}

  start(): void {
    this.stopped = false;
    // Every committed event may have owed a callback; the bus speaks only after commit.
    this.unsubscribe = this.options.bus.subscribe((message) => {
      if (message.event) this.kick();
    });
    this.kick();
  }

  /** Stops claiming; resolves when the deliveries in flight have ended (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.timer?.();
    await Promise.all([...this.running]);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.track(this.drain());
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.options.log.error({ err: error }, 'callback delivery failed unexpectedly'));
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  private async drain(): Promise<void> {
    this.draining = true;
    // The earliest due time as last read, while no claim has moved it since: the re-arm uses it
    // instead of reading again (on PostgreSQL every committed event of every node kicks this).
    let lastRead: { at: number | null } | null = null;
    try {
      do {
        this.again = false;
        const room = (this.options.concurrency ?? 8) - this.inFlight;
        if (room <= 0) break;
        // A read first: most events owe no callback, and a claim takes the write lock.
        const next = await this.options.store.nextCallbackDueAt();
        lastRead = { at: next };
        if (next === null || next > this.options.clock.now()) continue;
        lastRead = null;
        const due = await this.options.store.claimDueCallbacks(room, this.options.timeoutMs * 2 + 1000);
        for (const delivery of due) {
          this.inFlight++;
          this.track(this.deliver(delivery).finally(() => {
            this.inFlight--;
            this.kick();
          }));
        }
      } while (this.again && !this.stopped);
    } finally {
      this.draining = false;
    }
    await this.rearm(lastRead);
  }

  private async rearm(lastRead: { at: number | null } | null): Promise<void> {
    // While every slot is busy, the next delivery to end kicks the drain; a timer would only spin.
    if (this.inFlight >= (this.options.concurrency ?? 8)) return;
    const next = lastRead ? lastRead.at : await this.options.store.nextCallbackDueAt();
    if (next === null || this.stopped || (this.timerAt !== null && this.timerAt <= next && this.timerAt > this.options.clock.now())) return;
    this.timer?.();
    this.timerAt = next;
    this.timer = this.options.clock.at(next, () => {
      this.timerAt = null;
      this.timer = null;
      this.kick();
    });
  }

  private async deliver(d: CallbackDelivery): Promise<void> {
    const account = await this.options.store.findAccount(d.accountSid);
    if (!account) return this.record(d, { status: 'failed', nextAttemptAt: null, url: d.url, httpStatus: null, error: `account ${d.accountSid} no longer exists`, answer: null });
    let attempt = await this.post(d.url, d.params, account.authToken);
    if (!isSuccess(attempt) && d.fallbackUrl) attempt = await this.post(d.fallbackUrl, d.params, account.authToken);
    if (isSuccess(attempt)) {
      const answer = d.kind === 'assignment' ? await this.applyAnswer(d, readAssignmentAnswer(attempt.body)) : null;
      return this.record(d, { status: 'delivered', nextAttemptAt: null, url: attempt.url, httpStatus: attempt.httpStatus, error: null, answer });
    }
    const error = attempt.error ?? `answered HTTP ${attempt.httpStatus}`;
    // An assignment is offered once (its URL, then the fallback); the reservation then waits as if answered empty.
    const attempts = d.attempts + 1;
    const last = d.kind === 'assignment' || attempts >= MAX_CALLBACK_ATTEMPTS;
    const nextAttemptAt = last ? null : this.options.clock.now() + retryDelayMs(attempts, this.options.retryBaseMs);
    this.options.log.warn({ callbackId: d.id, kind: d.kind, eventType: d.eventType, workspaceSid: d.workspaceSid, url: redact(attempt.url), attempts, error, retryAt: nextAttemptAt },
      last ? 'callback failed; giving up' : 'callback failed; will retry');
    this.options.onDeliveryFailed?.(d.kind, last);
    return this.record(d, { status: last ? 'failed' : 'pending', nextAttemptAt, url: attempt.url, httpStatus: attempt.httpStatus, error, answer: null });
  }

  private async applyAnswer(d: CallbackDelivery, answer: AssignmentAnswer): Promise<string> {
    if (answer.kind === 'wait') return 'wait';
    if (answer.kind === 'unsupported') {
      this.options.log.warn({ callbackId: d.id, reservationSid: d.reservationSid, reason: answer.reason }, 'assignment callback answer not applied');
      return `unsupported: ${answer.reason}`;
    }
    const result = await this.options.applyAssignment(d.workspaceSid, d.reservationSid ?? '', answer.kind === 'accept' ? 'accepted' : 'rejected');
    if (result.ok) return answer.kind;
    this.options.log.warn({ callbackId: d.id, reservationSid: d.reservationSid, refusal: result.refusal.message }, 'assignment callback answer refused');
    return `${answer.kind} refused: ${result.refusal.message}`;
  }

  private async record(d: CallbackDelivery, outcome: CallbackAttemptOutcome): Promise<void> {
    await this.options.store.recordCallbackAttempt(d.id, outcome);
  }

  private async post(url: string, params: CallbackParams, authToken: string): Promise<Attempt> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(authToken, url, params), 'user-agent': 'Rollcall-Callbacks/1.0' },
        body: new URLSearchParams(params as Record<string, string>).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'manual',
      });
      return { url, httpStatus: response.status, body: await response.text(), error: null };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return { url, httpStatus: null, body: '', error: e.name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : (e.cause?.code ?? e.message) };
    }
  }
}

/** A URL fit for logs: credentials in it are not. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
