/**
 * The database files hold the auth token and the API key secrets: owner read/write only (0600).
 * The file is created 0600 before SQLite opens it, and SQLite gives its -wal and -shm files the
 * database file's mode; files left by an older version are tightened at every open.
 */
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';

export const OWNER_ONLY = 0o600;

/** Creates the database file owner-only when it does not exist yet. */
export function createOwnerOnly(file: string): void {
  if (file === ':memory:' || existsSync(file)) return;
  closeSync(openSync(file, 'a', OWNER_ONLY));
}

/** Sets the database file and its WAL and shared-memory files to owner-only. */
export function restrictToOwner(file: string): void {
  if (file === ':memory:') return;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, OWNER_ONLY);
}
