/**
 * The process logger: pino JSON lines on stdout. Secrets never reach a line: fields that hold one
 * are censored by path (at the top level and one level down), and URLs — a `url` field, or a
 * request's — lose the values of query parameters that carry credentials (the agent socket's
 * `?token=`, a one-time agent `?link=`).
 */
import { pino, type Logger } from 'pino';

const SECRET_FIELDS = ['authToken', 'auth_token', 'secret', 'apiKeySecret', 'api_key_secret', 'token', 'password', 'authorization', 'cookie'];
export const REDACTED = '[redacted]';

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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rollcall' },
      redact: {
        paths: [
          ...SECRET_FIELDS,
          ...SECRET_FIELDS.map((f) => `*.${f}`),
          'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'res.headers["set-cookie"]',
        ],
        censor: REDACTED,
      },
      serializers: {
        url: redactUrl,
        // Only what identifies a request; never its headers (Authorization, Cookie).
        req: (req: RequestLike) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress }),
      },
    },
    destination,
  );
}
