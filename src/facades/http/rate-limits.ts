/**
 * Per-address request limits with `@fastify/rate-limit` (registered with `global: false` in
 * main.ts, before any route). Each surface (REST, the envelope, console sign-in) builds its own
 * hook, so each has its own counters and its own limit; the key is `request.ip`, which honours
 * ROLLCALL_TRUST_PROXY. An exceeded limit throws a RateLimited, and each facade's error handler
 * answers it in its own dialect (Twilio 20429 on REST, `{message}` on the envelope).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import '@fastify/rate-limit';

export class RateLimited extends Error {
  override readonly name = 'RateLimited';
  readonly statusCode = 429;

  constructor(readonly retryAfterS: number, readonly perMinute: number) {
    super(`Too many requests from this address: at most ${perMinute} a minute. Retry after ${retryAfterS} s.`);
  }
}

export const isRateLimited = (error: unknown): error is RateLimited => error instanceof RateLimited;

export type LimitHook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** An onRequest hook allowing `perMinute` requests a minute per address; null when 0 (no limit). */
export function perMinuteLimit(app: FastifyInstance, perMinute: number): LimitHook | null {
  if (perMinute === 0) return null;
  const hook = app.rateLimit({
    max: perMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, context) => new RateLimited(Math.max(1, Math.ceil(context.ttl / 1000)), perMinute),
  });
  return hook as unknown as LimitHook;
}
