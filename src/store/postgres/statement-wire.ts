/**
 * How the store's statements go on the wire: prepared by name, and corked per turn of the event
 * loop (database.ts sends them).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * Statements with parameters run as named prepared statements: each connection parses and plans a
 * text once, then only binds (measured here: 0.3 → 0.1 ms a statement). The name is the text's
 * hash, so one text has one name; the texts are the store's own, a bounded set. Cursor statements
 * (DECLARE, FETCH) cannot be prepared and run as they are.
 */
const names = new Map<string, string>();
export function config(text: string, params: readonly unknown[]): pg.QueryConfig {
  if (params.length === 0 || /^\s*(DECLARE|FETCH)\b/i.test(text)) return { text, values: params as unknown[] };
  let name = names.get(text);
  if (name === undefined) {
    name = `rc_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return { name, text, values: params as unknown[] };
}

/**
 * Statements sent in the same turn of the event loop leave in one socket write. pg writes each
 * statement with a write of its own (a system call, which the cluster bench's profile found to be a
 * third of a node's CPU); a pipelined transaction sends many at once (`Tx.all`, `send`, reads sent
 * together), so the socket is corked at the first and uncorked once the turn's work is done.
 * Reaches into pg's connection for its socket; without one (another pg version) nothing changes.
 */
export function coalesce(client: pg.PoolClient): void {
  const stream = (client as unknown as { connection?: { stream?: { writableCorked?: number; cork?: () => void; uncork?: () => void } } }).connection?.stream;
  if (!stream?.cork || !stream.uncork || stream.writableCorked !== 0) return;
  stream.cork();
  setImmediate(() => stream.uncork?.());
}
