import { randomBytes } from 'node:crypto';
import { formatSid, type SidKind } from '../core/sids.js';

/** A new random SID of the given kind. */
export function newSid(kind: SidKind): string {
  return formatSid(kind, randomBytes(16).toString('hex'));
}

/** A new secret (auth token, API key secret): 32 random bytes, hex. */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}
