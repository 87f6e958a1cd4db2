/**
 * The console facade's plumbing: sessions from cookies, the CSRF guard, and one way of turning a
 * handler's Result into an answer. Handlers (console-routes.ts) parse, call a service and map.
 *
 * CSRF: a state-changing call must come with an `Origin` equal to this server's own and the
 * `X-Rollcall-Csrf` header, which another origin's page cannot add without a CORS preflight that
 * is never granted. The session cookie is also SameSite=Strict; either alone would stop a forged
 * form post, both together also stop a same-site attacker page on another port.
 */
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Result } from '../../core/errors.js';
import type { AdminService } from '../../service/admin-service.js';
import type { ConsoleFeed } from '../../service/console-feed.js';
import type { ConsoleSession } from '../../service/console-ports.js';
import type { ConsoleService } from '../../service/console-service.js';
import type { ReportsService } from '../../service/reports-service.js';
import type { Clock, Log } from '../../service/ports.js';
import { consoleError } from './console-wire.js';

export const ADMIN_COOKIE = 'rollcall_session';
export const AGENT_COOKIE = 'rollcall_agent';
export const CSRF_HEADER = 'x-rollcall-csrf';

export interface ConsoleDeps {
  readonly console: ConsoleService;
  readonly admin: AdminService;
  readonly feed: ConsoleFeed;
  readonly reports: ReportsService;
  readonly clock: Clock;
  readonly log: Log;
  /** `ROLLCALL_PUBLIC_URL`; without it, links are built from the request's Host. */
  readonly publicUrl: string | null;
  /** Where the built console lives (dist/web); null or missing means not built. */
  readonly webDir: string | null;
  /** Sign-in attempts a minute per client address (any outcome); 0: no limit. */
  readonly signInPerMin: number;
}

export type ConsoleAnswer =
  | { readonly status: 200 | 201; readonly body: unknown }
  | { readonly status: 204 }
  /** A download (CSV, NDJSON), produced as the browser reads it; refusals come before the first byte. */
  | { readonly status: 200; readonly stream: AsyncIterable<string>; readonly contentType: string; readonly filename: string };

export const answer = (body: unknown, status: 200 | 201 = 200): Result<ConsoleAnswer> => ({ ok: true, value: { status, body } });
export const noContent: Result<ConsoleAnswer> = { ok: true, value: { status: 204 } };

export function send(reply: FastifyReply, result: Result<ConsoleAnswer>): FastifyReply {
  reply.header('cache-control', 'no-store');
  if (!result.ok) {
    const { status, body } = consoleError(result.refusal);
    return reply.code(status).send(body);
  }
  const a = result.value;
  if ('stream' in a) {
    return reply.code(200).type(a.contentType).header('content-disposition', `attachment; filename="${a.filename}"`)
      .send(Readable.from(a.stream, { objectMode: false, highWaterMark: 64 * 1024 }));
  }
  return a.status === 204 ? reply.code(204).send() : reply.code(a.status).send(a.body);
}

export function refuseWith(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ message, code });
}

/** This server's origin as the browser sees it. */
export function originOf(req: FastifyRequest, publicUrl: string | null): string {
  if (publicUrl) return new URL(publicUrl).origin;
  // Fastify reads X-Forwarded-Proto/-Host into these only from a trusted proxy (ROLLCALL_TRUST_PROXY).
  return `${req.protocol}://${req.host || 'localhost'}`;
}

/** Null when the call may change state; otherwise why not. */
export function csrfProblem(req: FastifyRequest, publicUrl: string | null): string | null {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return null;
  const origin = req.headers.origin;
  if (origin === undefined || origin !== originOf(req, publicUrl)) {
    return `Refused: a change must come from this console's own page (origin ${origin ?? 'missing'} is not ${originOf(req, publicUrl)})`;
  }
  if (req.headers[CSRF_HEADER] !== '1') return 'Refused: the X-Rollcall-Csrf header is missing; changes must come from the console';
  return null;
}

export function cookieOptions(req: FastifyRequest, publicUrl: string | null, expiresAt: number, now: number) {
  return {
    path: '/console',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: originOf(req, publicUrl).startsWith('https:'),
    maxAge: Math.max(0, Math.floor((expiresAt - now) / 1000)),
  };
}

/** The admin session of a request, or null. */
export async function adminSession(req: FastifyRequest, deps: ConsoleDeps): Promise<ConsoleSession | null> {
  const session = await deps.console.session(req.cookies[ADMIN_COOKIE]);
  return session?.kind === 'admin' ? session : null;
}

export async function agentSession(req: FastifyRequest, deps: ConsoleDeps): Promise<ConsoleSession | null> {
  const session = await deps.console.session(req.cookies[AGENT_COOKIE]);
  return session?.kind === 'agent' ? session : null;
}

export const SESSION_EXPIRED = 'Your session has ended. Sign in again.';
