/**
 * The access log: one pino line per request, written when the answer is sent. It names the route
 * pattern, the path with secret query values redacted, status, duration and client; never a
 * header, cookie or body, so an `Authorization`, a session cookie or an envelope's token cannot
 * reach it. Probes and scrapes (`/healthz`, `/readyz`, `/metrics`) stay out: they are noise.
 * Agent WebSocket upgrades bypass Fastify; `logUpgrade` gives them the same line.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

const QUIET_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
/** Query parameters whose values are credentials: the SDK's `?token=`, the console's one-time `?link=`, … */
const SECRET_PARAM = /token|secret|passw|signature|credential|^auth|^link$|^code$|^key$|api_?key/i;
const REDACTED = '[redacted]';

/** The path and query as received, with the values of credential-like parameters replaced. */
export function redactUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return url;
  const params = new URLSearchParams(url.slice(mark + 1));
  const kept: string[] = [];
  for (const [name, value] of params) kept.push(`${encodeURIComponent(name)}=${SECRET_PARAM.test(name) ? REDACTED : encodeURIComponent(value)}`);
  return `${url.slice(0, mark)}?${kept.join('&')}`;
}

const milliseconds = (ms: number): number => Math.round(ms * 100) / 100;

export function registerAccessLog(app: FastifyInstance): void {
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    if (route === undefined || !QUIET_ROUTES.has(route)) {
      req.log.info({
        method: req.method, route: route ?? null, url: redactUrl(req.url), status: reply.statusCode,
        durationMs: milliseconds(reply.elapsedTime), remoteAddress: req.ip,
      }, 'request');
    }
    done();
  });
}

let upgradeCount = 0;

/**
 * Logs an HTTP upgrade (the agent channel's WebSocket) once it is answered: the status is read
 * from the first bytes written to the socket (`101` accepted, `4xx`/`5xx` refused), or null when
 * the client went away before any answer.
 */
export function logUpgrade(log: FastifyBaseLogger, req: IncomingMessage, socket: Duplex): void {
  const startedAt = performance.now();
  const reqId = `upgrade-${++upgradeCount}`;
  let logged = false;
  const answered = (status: number | null): void => {
    if (logged) return;
    logged = true;
    log.info({
      reqId, method: req.method, route: '/v1/wschannels', url: redactUrl(req.url ?? '/'), status,
      durationMs: milliseconds(performance.now() - startedAt), remoteAddress: req.socket.remoteAddress ?? null, upgrade: req.headers.upgrade ?? null,
    }, 'request');
  };
  const { write, end } = socket;
  type Writer = (this: Duplex, ...args: unknown[]) => unknown;
  const restore = (): void => {
    socket.write = write;
    socket.end = end;
  };
  socket.write = function (this: Duplex, ...args: unknown[]) {
    restore();
    answered(statusOf(args[0]));
    return (write as Writer).apply(this, args);
  } as Duplex['write'];
  socket.end = function (this: Duplex, ...args: unknown[]) {
    restore();
    answered(statusOf(args[0]));
    return (end as Writer).apply(this, args);
  } as Duplex['end'];
  socket.once('close', () => {
    restore();
    answered(null);
  });
}

function statusOf(chunk: unknown): number | null {
  const text = typeof chunk === 'string' ? chunk.slice(0, 16) : Buffer.isBuffer(chunk) ? chunk.subarray(0, 16).toString('latin1') : '';
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return match ? Number(match[1]) : null;
}
