/**
 * Expected refusals: the one closed union every layer returns instead of throwing. Each facade
 * has a single table mapping a code to its dialect (HTTP status, Twilio error code, wording).
 * Throwing is for bugs and infrastructure failures only.
 */
export type RefusalCode =
  | 'not-found'
  | 'invalid-parameter'
  | 'unauthenticated'
  | 'forbidden'
  | 'version-mismatch'
  | 'conflict'
  | 'payload-too-large';

/**
 * Why a refusal happened, where a caller acts differently by cause (the code alone says only how
 * to answer). Callers branch on this, never on the wording of `message`.
 */
export type RefusalReason =
  /** `reserve`: the task is no longer waiting (offered, assigned, canceled or gone). */
  | 'task-not-waiting'
  /** `reserve`: the task is being transferred to one named worker, not this one. */
  | 'task-for-another-worker'
  /** `reserve`: the task's queue or workflow step, or the worker's row, changed under the decision. */
  | 'routing-changed'
  /** `reserve`: the worker can no longer take the task (activity, capacity, presence, attributes). */
  | 'worker-cannot-take'
  /** `reserve`: the worker already holds an offer or assignment of this task. */
  | 'worker-holds-task';

export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
  /** The input field the refusal is about, when there is one (`ActivitySid`, `presence_ttl`, …). */
  readonly field?: string;
  readonly reason?: RefusalReason;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: Refusal };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const refuse = (code: RefusalCode, message: string, field?: string): { ok: false; refusal: Refusal } => ({
  ok: false,
  refusal: field === undefined ? { code, message } : { code, message, field },
});

/** A refusal with its cause, for callers that act on the cause (see RefusalReason). */
export const refuseBecause = (reason: RefusalReason, code: RefusalCode, message: string): { ok: false; refusal: Refusal } => ({
  ok: false,
  refusal: { code, message, reason },
});
