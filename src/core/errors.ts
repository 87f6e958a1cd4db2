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

export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
  /** The input field the refusal is about, when there is one (`ActivitySid`, `presence_ttl`, …). */
  readonly field?: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: Refusal };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const refuse = (code: RefusalCode, message: string, field?: string): { ok: false; refusal: Refusal } => ({
  ok: false,
  refusal: field === undefined ? { code, message } : { code, message, field },
});
