/** The process logger: pino JSON lines on stdout; secrets are redacted by path. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rollcall' },
      redact: { paths: ['authToken', 'secret', 'token', 'req.headers.authorization', '*.authToken', '*.secret'], censor: '[redacted]' },
    },
    destination,
  );
}
