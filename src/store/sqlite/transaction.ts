/**
 * The SQLite engine's one way into a transaction. A write is IMMEDIATE: it takes the write lock
 * before its first read, so what it reads cannot change under it (and a busy file waits out
 * `busy_timeout` instead of failing half-way). A read of several statements that must agree is
 * DEFERRED. Nested calls join the outer transaction (better-sqlite3 turns them into savepoints).
 */
import type BetterSqlite3 from 'better-sqlite3';

export function writeTx<T>(db: BetterSqlite3.Database, fn: () => T): T {
  return db.transaction(fn).immediate();
}

export function readTx<T>(db: BetterSqlite3.Database, fn: () => T): T {
  return db.transaction(fn).deferred();
}
