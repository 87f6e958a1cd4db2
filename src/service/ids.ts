import { randomBytes } from 'node:crypto';
import { formatSid, type SidKind } from '../core/sids.js';

// Random bytes are drawn in blocks: one system call per 256 SIDs instead of one each (a logout
// burst makes an event SID per worker).
const POOL_BYTES = 16 * 256;
let pool = randomBytes(POOL_BYTES);
let offset = 0;

/** A new random SID of the given kind. */
export function newSid(kind: SidKind): string {
  if (offset + 16 > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + 16);
  offset += 16;
  return formatSid(kind, hex);
}

/** A new secret (auth token, API key secret): 32 random bytes, hex. */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}
