/**
 * The process logger: pino JSON lines on stdout. Secrets never reach a line: fields that hold one
 * are censored by name (at the top level, one level down, and two down: a response's headers),
 * and URLs — a `url` field, or a request's — lose the values of query parameters that carry
 * credentials (the agent socket's `?token=`, a one-time agent `?link=`).
 *
 * The censor is a pino `log` formatter, not pino's path redaction: a wildcard path (`*.token`)
 * runs the redactor on every field of every line, 11 µs of the 18 µs a logout's line cost
 * (issue 12, item 1). The formatter only walks plain objects and errors, and copies an object
 * only when it has a secret to censor; the caller's object is never changed.
 */
import { pino, type Logger } from 'pino';

const SECRET_FIELDS = ['authToken', 'auth_token', 'secret', 'apiKeySecret', 'api_key_secret', 'token', 'password', 'authorization', 'cookie'];
export const REDACTED = '[redacted]';
const SECRET = new Set([...SECRET_FIELDS, 'set-cookie']);
/** Levels below the top that are censored too: one (`*.token`), and two (`res.headers['set-cookie']`). */
const CENSOR_DEPTH = 2;

const SECRET_QUERY = /([?&](?:token|link|access_token|accesstoken|auth_token|authtoken|password|secret|signature)=)[^&#\s]*/gi;

/** A URL (or path with a query) with every credential-bearing query value replaced. */
export function redactUrl(url: unknown): unknown {
  return typeof url === 'string' ? url.replace(SECRET_QUERY, `$1${REDACTED}`) : url;
}

interface RequestLike {
  readonly method?: string;
  readonly url?: string;
  readonly ip?: string;
  readonly socket?: { remoteAddress?: string };
}

/**
 * `value` with every field named as a secret censored, down to `depth` levels below it; the same
 * object when it holds none. Arrays, and instances of classes other than Error (a Buffer, a Map),
 * are not walked.
 */
export function censorSecrets(value: unknown, depth = CENSOR_DEPTH): unknown {
  if (value === null || typeof value !== 'object') return value;
  const isError = value instanceof Error;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (!isError && prototype !== Object.prototype && prototype !== null) return value;
  const fields = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const inner = fields[key];
    const censored = SECRET.has(key) ? REDACTED : depth > 0 ? censorSecrets(inner, depth - 1) : inner;
    if (censored === inner) continue;
    // An error's message and stack are not its own enumerable fields: they are carried over.
    copy ??= isError ? { type: (value as Error).name, message: (value as Error).message, stack: (value as Error).stack, ...fields } : { ...fields };
    copy[key] = censored;
  }
  return copy ?? value;
}

const censorLine = (fields: Record<string, unknown>): Record<string, unknown> => censorSecrets(fields) as Record<string, unknown>;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rollcall' },
      // A child's bindings skip the formatters (pino resets them for children), but not the
      // serializers: a secret-named binding is censored by its serializer.
      formatters: { log: censorLine, bindings: censorLine },
      serializers: {
        ...Object.fromEntries([...SECRET].map((field) => [field, () => REDACTED])),
        url: redactUrl,
        // Only what identifies a request; never its headers (Authorization, Cookie).
        req: (req: RequestLike) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress }),
      },
    },
    destination,
  );
}
