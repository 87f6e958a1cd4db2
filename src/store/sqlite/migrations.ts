/**
 * Numbered schema migrations for the SQLite store. Each runs once, in order, inside a
 * transaction; `PRAGMA user_version` records the last one applied. Never edit a released
 * migration: add the next number.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ROLLUP_REBUILD } from './activity-rollup.js';
import { FIRST_MIGRATIONS } from './migrations-first.js';
import { writeTx } from './transaction.js';

export const MIGRATIONS: readonly string[] = [
  // 1 and 2: see migrations-first.ts.
  ...FIRST_MIGRATIONS,
  // 3: routing — task channels, worker channels, queues, workflows, tasks, reservations, and the
  // routing hold setting (rule 8).
  `
  CREATE TABLE task_channels (
    sid TEXT PRIMARY KEY,
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    unique_name TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_sid, unique_name)
  );
  CREATE TABLE worker_channels (
    sid TEXT PRIMARY KEY,
    worker_sid TEXT NOT NULL REFERENCES workers(sid) ON DELETE CASCADE,
    task_channel_sid TEXT NOT NULL REFERENCES task_channels(sid) ON DELETE CASCADE,
    capacity INTEGER NOT NULL,
    available INTEGER NOT NULL,
    reserved INTEGER NOT NULL DEFAULT 0,
    assigned INTEGER NOT NULL DEFAULT 0,
    last_reserved_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (worker_sid, task_channel_sid)
  );
  CREATE TABLE task_queues (
    sid TEXT PRIMARY KEY,
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    friendly_name TEXT NOT NULL,
    target_workers TEXT NOT NULL,
    reservation_activity_sid TEXT REFERENCES activities(sid),
    assignment_activity_sid TEXT REFERENCES activities(sid),
    max_reserved_workers INTEGER NOT NULL,
    task_order TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_sid, friendly_name)
  );
  CREATE TABLE workflows (
    sid TEXT PRIMARY KEY,
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    friendly_name TEXT NOT NULL,
    configuration TEXT NOT NULL,
    task_reservation_timeout_s INTEGER NOT NULL,
    assignment_callback_url TEXT,
    fallback_assignment_callback_url TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE tasks (
    sid TEXT PRIMARY KEY,
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    workflow_sid TEXT NOT NULL REFERENCES workflows(sid),
    queue_sid TEXT REFERENCES task_queues(sid),
    task_channel_sid TEXT NOT NULL REFERENCES task_channels(sid),
    attributes TEXT NOT NULL,
    priority INTEGER NOT NULL,
    timeout_s INTEGER NOT NULL,
    assignment_status TEXT NOT NULL,
    reason TEXT,
    filter_index INTEGER NOT NULL,
    target_index INTEGER NOT NULL,
    target_since INTEGER NOT NULL,
    target_due_at INTEGER,
    expires_at INTEGER NOT NULL,
    excluded_workers TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX tasks_waiting ON tasks(workspace_sid, assignment_status, priority DESC, created_at);
  CREATE INDEX tasks_target_due ON tasks(target_due_at) WHERE target_due_at IS NOT NULL;
  CREATE INDEX tasks_expiry ON tasks(expires_at) WHERE assignment_status IN ('pending', 'reserved');
  CREATE TABLE reservations (
    sid TEXT PRIMARY KEY,
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    task_sid TEXT NOT NULL REFERENCES tasks(sid) ON DELETE CASCADE,
    worker_sid TEXT NOT NULL REFERENCES workers(sid) ON DELETE CASCADE,
    status TEXT NOT NULL,
    timeout_at INTEGER,
    timeout_s INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX reservations_by_worker ON reservations(worker_sid, status);
  CREATE INDEX reservations_by_task ON reservations(task_sid, status);
  CREATE INDEX reservations_due ON reservations(timeout_at) WHERE timeout_at IS NOT NULL;
  ALTER TABLE logout_settings ADD COLUMN routing_hold INTEGER NOT NULL DEFAULT 1;
`,
  // 4: the console — who changed the logout settings, sign-in sessions and one-time agent links.
  `
  ALTER TABLE logout_settings ADD COLUMN updated_by TEXT;
  CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account_sid TEXT NOT NULL REFERENCES accounts(sid),
    credential_sid TEXT NOT NULL,
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    worker_sid TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX console_sessions_by_expiry ON console_sessions(expires_at);
  CREATE TABLE agent_links (
    token_hash TEXT PRIMARY KEY,
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    worker_sid TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  );
`,
  // 5: Twilio conformance — a task's RoutingTarget (the one worker it may be offered to) and its
  // VirtualStartTime (null: its creation).
  `
  ALTER TABLE tasks ADD COLUMN routing_target TEXT;
  ALTER TABLE tasks ADD COLUMN virtual_start_at INTEGER;
  `,
  // 6: reports — indexes for per-worker folds, history pages and exports; episodes record whether
  // the session was exempt and when their logout took effect.
  `
  ALTER TABLE disconnect_episodes ADD COLUMN exempt INTEGER;
  ALTER TABLE disconnect_episodes ADD COLUMN logged_out_at INTEGER;
  UPDATE disconnect_episodes SET logged_out_at = (
    SELECT l.effective_at FROM activity_log l
     WHERE l.worker_sid = disconnect_episodes.worker_sid AND l.cause = 'offline-threshold'
       AND json_extract(l.evidence, '$.lastSeenAt') = disconnect_episodes.last_seen_at
     ORDER BY l.id LIMIT 1)
   WHERE outcome = 'logged-out';
  -- The folds read ~1 000 rows per worker and month: a covering index spares a table lookup per
  -- row (bench: monthly report 2.8–4.7 s → 2.1–2.4 s). It has the old index's prefix, so it
  -- replaces it rather than adding a third index to every log insert.
  DROP INDEX activity_log_by_worker;
  CREATE INDEX activity_log_by_worker ON activity_log(worker_sid, effective_at, to_activity_sid, from_activity_sid, cause);
  CREATE INDEX episodes_by_worker ON disconnect_episodes(worker_sid, last_seen_at);
  CREATE INDEX episodes_by_workspace ON disconnect_episodes(workspace_sid, last_seen_at);
`,
  // 7: several workspaces per account — the one the Flex Configuration names.
  `
  ALTER TABLE workspaces ADD COLUMN multi_task_enabled INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE flex_configuration (
    account_sid TEXT PRIMARY KEY REFERENCES accounts(sid),
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    updated_at INTEGER NOT NULL
  );
`,
  // 8: the callback outbox (event and assignment callbacks owed, and how their delivery went).
  `
  CREATE TABLE callback_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_sid TEXT NOT NULL,
    workspace_sid TEXT NOT NULL,
    kind TEXT NOT NULL,
    event_sid TEXT,
    event_type TEXT,
    reservation_sid TEXT,
    url TEXT NOT NULL,
    fallback_url TEXT,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_attempt_at INTEGER,
    last_url TEXT,
    last_http_status INTEGER,
    last_error TEXT,
    answer TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX callback_outbox_due ON callback_outbox(next_attempt_at) WHERE status = 'pending';
  CREATE INDEX callback_outbox_by_workspace ON callback_outbox(workspace_sid, id);
`,
  // 9: task transfers (the Transfer records, and which transfer a task and an offer belong to).
  `
  CREATE TABLE task_transfers (
    sid TEXT PRIMARY KEY,
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    task_sid TEXT NOT NULL REFERENCES tasks(sid) ON DELETE CASCADE,
    initiating_reservation_sid TEXT NOT NULL,
    initiating_worker_sid TEXT NOT NULL,
    initiating_queue_sid TEXT,
    initiating_workflow_sid TEXT NOT NULL,
    transfer_type TEXT NOT NULL,
    transfer_to TEXT NOT NULL,
    transfer_mode TEXT NOT NULL,
    status TEXT NOT NULL,
    failed_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX task_transfers_by_task ON task_transfers(task_sid, status);
  CREATE INDEX task_transfers_by_initiator ON task_transfers(initiating_reservation_sid, status);
  ALTER TABLE tasks ADD COLUMN transfer_sid TEXT;
  ALTER TABLE tasks ADD COLUMN transfer_worker_sid TEXT;
  ALTER TABLE reservations ADD COLUMN transfer_sid TEXT;
`,
  // 10: retention may remove activity-log entries older than its cutoff, and nothing else may.
  `
  CREATE TABLE retention_marks (id INTEGER PRIMARY KEY CHECK (id = 1), history_before INTEGER NOT NULL);
  INSERT INTO retention_marks (id, history_before) VALUES (1, 0);
  DROP TRIGGER activity_log_append_only_delete;
  CREATE TRIGGER activity_log_append_only_delete BEFORE DELETE ON activity_log
    WHEN OLD.effective_at >= (SELECT history_before FROM retention_marks WHERE id = 1)
    BEGIN SELECT RAISE(ABORT, 'activity_log is append-only'); END;
`,
  // 11: reports — the per-worker, per-UTC-day activity roll-up (backfilled), kept by the log's writers.
  // The log index gets the log order (id) after the effective time, so the keeper's "entry before"
  // and the folds' `ORDER BY effective_at, id` walk the index instead of sorting a worker's whole
  // history (measured: ~1 ms per insert with the old index); then the table and its backfill.
  `
  DROP INDEX activity_log_by_worker;
  CREATE INDEX activity_log_by_worker ON activity_log(worker_sid, effective_at, id, to_activity_sid, from_activity_sid, cause);

  CREATE TABLE activity_rollup (
    worker_sid TEXT NOT NULL,
    -- the UTC day: floor(epoch ms / 86 400 000)
    day INTEGER NOT NULL,
    activity_sid TEXT NOT NULL,
    -- 1: the stay began with an automatic logout (cause offline-threshold)
    automatic INTEGER NOT NULL,
    ms INTEGER NOT NULL,
    PRIMARY KEY (worker_sid, day, activity_sid, automatic)
  ) WITHOUT ROWID;
${ROLLUP_REBUILD}`,
  // 12: the mass-disconnect breaker — its settings on the workspace's logout settings (on by
  // default), its holds (one active per workspace) and the deadlines they hold.
  `
  ALTER TABLE logout_settings ADD COLUMN breaker_enabled INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE logout_settings ADD COLUMN breaker_share_percent INTEGER NOT NULL DEFAULT 20;
  ALTER TABLE logout_settings ADD COLUMN breaker_min_agents INTEGER NOT NULL DEFAULT 50;
  ALTER TABLE logout_settings ADD COLUMN breaker_window_ms INTEGER NOT NULL DEFAULT 10000;
  ALTER TABLE logout_settings ADD COLUMN breaker_hold_ms INTEGER NOT NULL DEFAULT 300000;
  CREATE TABLE outage_holds (
    sid TEXT PRIMARY KEY,
    workspace_sid TEXT NOT NULL,
    tripped_at INTEGER NOT NULL,
    until_at INTEGER NOT NULL,
    disconnections INTEGER NOT NULL,
    connected_workers INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT,
    ended_by TEXT
  );
  CREATE UNIQUE INDEX outage_holds_active ON outage_holds(workspace_sid) WHERE ended_at IS NULL;
  CREATE INDEX outage_holds_by_end ON outage_holds(until_at) WHERE ended_at IS NULL;
  CREATE TABLE outage_hold_workers (
    hold_sid TEXT NOT NULL REFERENCES outage_holds(sid),
    worker_sid TEXT NOT NULL,
    deadline_id INTEGER NOT NULL,
    ordinary_due_at INTEGER NOT NULL,
    PRIMARY KEY (worker_sid, deadline_id)
  );
  CREATE INDEX outage_hold_workers_by_hold ON outage_hold_workers(hold_sid);
  CREATE INDEX episodes_open_by_detection ON disconnect_episodes(workspace_sid, detected_at) WHERE ended_at IS NULL;
`,
];

/** Applies every migration newer than the database's `user_version`. */
export function migrate(db: BetterSqlite3.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let i = current; i < MIGRATIONS.length; i++) {
    writeTx(db, () => {
      db.exec(MIGRATIONS[i] ?? '');
      db.pragma(`user_version = ${i + 1}`);
    });
  }
}
