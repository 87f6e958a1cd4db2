/**
 * The callback outbox port. Rows are written by the store in the transaction that records their
 * event (so an owed callback survives a restart, and none is owed for a change that rolled back);
 * the dispatcher claims due ones, sends them, and records every attempt here.
 */
import type { CallbackKind, CallbackParams } from '../core/callbacks.js';

export type CallbackStatus = 'pending' | 'delivered' | 'failed';

/** One owed callback and where its delivery stands. */
export interface CallbackDelivery {
  readonly id: number;
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly kind: CallbackKind;
  readonly eventSid: string | null;
  readonly eventType: string | null;
  readonly reservationSid: string | null;
  readonly url: string;
  /** Assignment callbacks: the workflow's FallbackAssignmentCallbackUrl, tried when `url` fails. */
  readonly fallbackUrl: string | null;
  readonly params: CallbackParams;
  readonly status: CallbackStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
  readonly lastAttemptAt: number | null;
  readonly lastUrl: string | null;
  readonly lastHttpStatus: number | null;
  readonly lastError: string | null;
  /** Assignment callbacks: what the answer asked for and what came of it. */
  readonly answer: string | null;
  readonly createdAt: number;
}

export interface CallbackAttemptOutcome {
  readonly status: CallbackStatus;
  /** When to try again (`pending`), else null. */
  readonly nextAttemptAt: number | null;
  readonly url: string;
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly answer: string | null;
}

export interface CallbackStore {
  /**
   * Up to `limit` pending rows due at the store's now, oldest first, each leased for `leaseMs`
   * (its next attempt moved that far ahead) so that it is not claimed again while in flight.
   */
  claimDueCallbacks(limit: number, leaseMs: number): Promise<CallbackDelivery[]>;
  nextCallbackDueAt(): Promise<number | null>;
  recordCallbackAttempt(id: number, outcome: CallbackAttemptOutcome): Promise<void>;
  /** A workspace's most recent `limit` deliveries (after `afterId`), in the order they were owed. */
  listCallbackDeliveries(workspaceSid: string, filter: { afterId?: number; limit: number }): Promise<CallbackDelivery[]>;
}
