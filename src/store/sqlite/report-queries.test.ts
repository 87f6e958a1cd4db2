/**
 * Migration 6 on SQLite: episodes recorded before it get their logout time from the log. (What
 * the report reads return is the engine-neutral report contract, src/store/contracts.)
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS } from './migrations.js';

describe('migration 6', () => {
  it('backfills the logout time of episodes recorded before it, from the log', () => {
    const db = new Database(':memory:');
    db.pragma(`user_version = 0`);
    for (let i = 0; i < 4; i++) db.exec(MIGRATIONS[i] ?? '');
    db.pragma('user_version = 4');
    db.prepare(`INSERT INTO activity_log (workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at)
      VALUES ('WS', 'WK', 'WAa', 'WAo', 'offline-threshold', 'rollcall', '{"reason":"closed","lastSeenAt":1000,"thresholdMs":30000,"dueAt":31000}', 31000, 31050)`).run();
    db.prepare(`INSERT INTO disconnect_episodes (workspace_sid, worker_sid, last_seen_at, detected_at, reason, ended_at, outcome)
      VALUES ('WS', 'WK', 1000, 1000, 'closed', 90000, 'logged-out'), ('WS', 'WK', 100000, 100000, 'closed', 100500, 'reconnected')`).run();
    migrate(db);
    expect(db.prepare('SELECT logged_out_at, exempt FROM disconnect_episodes ORDER BY id').all()).toEqual([{ logged_out_at: 31000, exempt: null }, { logged_out_at: null, exempt: null }]);
    db.close();
  });
});
