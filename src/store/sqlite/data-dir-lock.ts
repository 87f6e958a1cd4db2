/**
 * One Rollcall process per data directory: a second one would take the first one's connections
 * for a dead node's and log its agents out.
 *
 * The lock is SQLite's own: a small database `rollcall.lock` opened in `locking_mode=EXCLUSIVE`
 * and written once, so the connection holds the file's exclusive lock for the life of the process.
 * The operating system releases it when the process ends, however it ends (kill -9, a crash, an
 * OOM kill), so there is no stale lock to judge: no PID to trust, none to be reused by another
 * process or by ourselves in a fresh container. Two starts racing for the file cannot both win.
 * Who holds the lock is written beside it in `rollcall.holder.json`, for the refusal message only.
 * The lock file is never deleted: a process opening it while another deleted it would lock a
 * different file. (docs/decisions/007-data-dir-lock.md)
 */
import { hostname } from 'node:os';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const LOCK_FILE = 'rollcall.lock';
export const HOLDER_FILE = 'rollcall.holder.json';
/** The PID file of releases before the real lock; removed once the lock is held. */
const LEGACY_PID_FILE = 'rollcall.pid';
/** How long a start waits for a racing start that holds the lock briefly (it lets go when it loses). */
const RACE_WAIT_MS = 500;

/** A second Rollcall process was started on a data directory in use. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/** How often a start tries again after SQLITE_BUSY before it gives up (see `lockDataDir`). */
const ATTEMPTS = 3;

/**
 * Takes the data directory's lock or throws DataDirLockedError naming the holder; returns the
 * release. Two starts racing for a new lock file were both refused once in CI (2026-11-27 19:42;
 * the likely cause, not confirmed: SQLite answers SQLITE_BUSY at once, without waiting, to a lock
 * escalation that would deadlock). So a busy start closes, waits a random 10–100 ms and tries
 * again, three times in all: one of two racers then wins, and the other waits for it and is refused.
 */
export function lockDataDir(dir: string): () => void {
  for (let attempt = 1; ; attempt++) {
    try {
      return lockOnce(dir);
    } catch (error) {
      if (!(error instanceof DataDirLockedError) || attempt >= ATTEMPTS) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.random() * 90);
    }
  }
}

function lockOnce(dir: string): () => void {
  const db = new Database(path.join(dir, LOCK_FILE));
  try {
    db.pragma(`busy_timeout = ${RACE_WAIT_MS}`);
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, started_at TEXT NOT NULL)');
    const holder: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
    db.prepare('INSERT OR REPLACE INTO holder (id, pid, host, started_at) VALUES (1, ?, ?, ?)').run(holder.pid, holder.host, holder.startedAt);
    // In exclusive locking mode the commit keeps the lock: it is held until this connection closes.
    db.exec('COMMIT');
    writeFileSync(path.join(dir, HOLDER_FILE), JSON.stringify(holder));
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new DataDirLockedError(`Another Rollcall process (${describeHolder(dir)}) is using ${dir}; run one process per data directory, or stop that one first.`, { cause: error });
    }
    throw error;
  }
  rmSync(path.join(dir, LEGACY_PID_FILE), { force: true });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    rmSync(path.join(dir, HOLDER_FILE), { force: true });
    db.close();
  };
}

function describeHolder(dir: string): string {
  try {
    const holder = JSON.parse(readFileSync(path.join(dir, HOLDER_FILE), 'utf8')) as Holder;
    return `pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}`;
  } catch {
    // The holder is between taking the lock and writing its name.
    return 'it is starting and has not written its pid yet';
  }
}
