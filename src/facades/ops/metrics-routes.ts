/**
 * `GET /metrics`: the Prometheus exposition of this instance. With `ROLLCALL_METRICS_TOKEN` set it
 * asks for `Authorization: Bearer <token>` from anyone; without it, it answers only clients on
 * the loopback interface that came through no proxy (a `Forwarded`/`X-Forwarded-For` header
 * means the real client is elsewhere). Metrics name workers' counts and the process's health,
 * not secrets, but they are not for the open internet either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface MetricsExposition {
  readonly contentType: string;
  exposition(): Promise<string>;
}

export interface MetricsRouteOptions {
  readonly metrics: MetricsExposition;
  /** Null: loopback clients only. */
  readonly token: string | null;
}

interface Refusal {
  readonly status: 401 | 403;
  readonly message: string;
}

export function registerMetricsRoute(app: FastifyInstance, options: MetricsRouteOptions): void {
  const expected = options.token === null ? null : digest(options.token);
  app.get('/metrics', async (req, reply) => {
    const refusal = expected === null ? loopbackOnly(req) : bearer(req, expected);
    if (refusal) {
      if (refusal.status === 401) void reply.header('www-authenticate', 'Bearer realm="rollcall-metrics"');
      return reply.code(refusal.status).type('text/plain; charset=utf-8').send(`${refusal.message}\n`);
    }
    const text = await options.metrics.exposition();
    return reply.type(options.metrics.contentType).send(text);
  });
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function bearer(req: FastifyRequest, expected: Buffer): Refusal | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return { status: 401, message: 'The metrics need Authorization: Bearer <ROLLCALL_METRICS_TOKEN>.' };
  if (!timingSafeEqual(digest(match[1]), expected)) return { status: 401, message: 'The metrics bearer token does not match ROLLCALL_METRICS_TOKEN.' };
  return null;
}

function loopbackOnly(req: FastifyRequest): Refusal | null {
  const peer = req.socket.remoteAddress ?? '';
  const proxied = req.headers.forwarded !== undefined || req.headers['x-forwarded-for'] !== undefined;
  if (isLoopback(peer) && !proxied) return null;
  return { status: 403, message: 'The metrics answer loopback clients only; set ROLLCALL_METRICS_TOKEN to scrape from elsewhere.' };
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
