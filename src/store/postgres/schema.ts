/**
 * Migration 1 of the PostgreSQL store: the shape SQLite's eleven migrations arrive at
 * (store/sqlite/migrations.ts), written once for PostgreSQL. Differences, all deliberate:
 * - instants and durations are BIGINT epoch milliseconds (parsed as JS numbers), flags INTEGER
 *   0/1, JSON TEXT: the row mappers of store/sqlite/rows.ts read both engines' rows unchanged;
 * - `seq` identity columns stand in for SQLite's `rowid` wherever a list keeps insertion order;
 * - the append-only activity log is guarded by a PL/pgSQL trigger instead of SQLite's RAISE.
 */
export const SCHEMA_V1 = `
CREATE TABLE accounts (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  friendly_name TEXT NOT NULL, auth_token TEXT NOT NULL, created_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  account_sid TEXT NOT NULL REFERENCES accounts(sid),
  friendly_name TEXT NOT NULL, secret TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT
);
CREATE TABLE workspaces (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  account_sid TEXT NOT NULL REFERENCES accounts(sid),
  friendly_name TEXT NOT NULL, default_activity_sid TEXT NOT NULL, timeout_activity_sid TEXT NOT NULL,
  event_callback_url TEXT, events_filter TEXT, multi_task_enabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);
CREATE TABLE activities (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
  friendly_name TEXT NOT NULL, available INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
  UNIQUE (workspace_sid, friendly_name)
);
CREATE TABLE logout_settings (
  workspace_sid TEXT PRIMARY KEY REFERENCES workspaces(sid),
  logout_activity_sid TEXT NOT NULL REFERENCES activities(sid),
  enabled INTEGER NOT NULL, threshold_ms BIGINT NOT NULL, updated_at BIGINT NOT NULL,
  routing_hold INTEGER NOT NULL DEFAULT 1, updated_by TEXT
);
CREATE TABLE workers (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
  friendly_name TEXT NOT NULL, attributes TEXT NOT NULL,
  activity_sid TEXT NOT NULL REFERENCES activities(sid),
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, status_changed_at BIGINT NOT NULL, version INTEGER NOT NULL,
  -- the presence machine's state besides connections and the deadline (JSON)
  presence TEXT NOT NULL,
  UNIQUE (workspace_sid, friendly_name)
);
CREATE INDEX workers_by_workspace ON workers(workspace_sid, seq);
CREATE INDEX workers_by_activity ON workers(activity_sid);
CREATE TABLE nodes (
  id TEXT PRIMARY KEY, started_at BIGINT NOT NULL, heartbeat_at BIGINT NOT NULL, retired_at BIGINT
);
CREATE TABLE connections (
  id TEXT PRIMARY KEY,
  worker_sid TEXT NOT NULL REFERENCES workers(sid),
  node_id TEXT NOT NULL REFERENCES nodes(id),
  exempt INTEGER NOT NULL, opened_at BIGINT NOT NULL
);
CREATE INDEX connections_by_worker ON connections(worker_sid);
CREATE INDEX connections_by_node ON connections(node_id);
CREATE TABLE deadlines (
  worker_sid TEXT PRIMARY KEY REFERENCES workers(sid),
  deadline_id BIGINT NOT NULL, due_at BIGINT NOT NULL
);
CREATE INDEX deadlines_by_due ON deadlines(due_at, worker_sid);
CREATE TABLE activity_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_sid TEXT NOT NULL, worker_sid TEXT NOT NULL,
  from_activity_sid TEXT, to_activity_sid TEXT NOT NULL,
  cause TEXT NOT NULL, actor TEXT NOT NULL, evidence TEXT,
  effective_at BIGINT NOT NULL, recorded_at BIGINT NOT NULL
);
CREATE INDEX activity_log_by_worker ON activity_log(worker_sid, effective_at, id, to_activity_sid, from_activity_sid, cause);
CREATE INDEX activity_log_by_workspace ON activity_log(workspace_sid, effective_at);
CREATE TABLE retention_marks (id INTEGER PRIMARY KEY CHECK (id = 1), history_before BIGINT NOT NULL);
INSERT INTO retention_marks (id, history_before) VALUES (1, 0);
CREATE FUNCTION activity_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Retention may remove entries older than its mark; nothing else may change the log.
  IF TG_OP = 'DELETE' AND OLD.effective_at < (SELECT history_before FROM retention_marks WHERE id = 1) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'activity_log is append-only';
END $$;
CREATE TRIGGER activity_log_append_only BEFORE UPDATE OR DELETE ON activity_log
  FOR EACH ROW EXECUTE FUNCTION activity_log_append_only();
CREATE TABLE activity_rollup (
  worker_sid TEXT NOT NULL,
  -- the UTC day: floor(epoch ms / 86 400 000)
  day BIGINT NOT NULL, activity_sid TEXT NOT NULL,
  -- 1: the stay began with an automatic logout (cause offline-threshold)
  automatic INTEGER NOT NULL, ms BIGINT NOT NULL,
  PRIMARY KEY (worker_sid, day, activity_sid, automatic)
);
CREATE TABLE disconnect_episodes (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_sid TEXT NOT NULL, worker_sid TEXT NOT NULL,
  last_seen_at BIGINT NOT NULL, detected_at BIGINT NOT NULL, reason TEXT NOT NULL,
  ended_at BIGINT, outcome TEXT, exempt INTEGER, logged_out_at BIGINT
);
CREATE INDEX episodes_open ON disconnect_episodes(worker_sid) WHERE ended_at IS NULL;
CREATE INDEX episodes_by_worker ON disconnect_episodes(worker_sid, last_seen_at);
CREATE INDEX episodes_by_workspace ON disconnect_episodes(workspace_sid, last_seen_at);
CREATE TABLE events (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL, workspace_sid TEXT NOT NULL,
  event_type TEXT NOT NULL, resource_type TEXT NOT NULL, resource_sid TEXT NOT NULL,
  actor_type TEXT NOT NULL, actor_sid TEXT, description TEXT NOT NULL,
  data TEXT NOT NULL, cause TEXT, evidence TEXT, at BIGINT NOT NULL
);
CREATE INDEX events_by_workspace ON events(workspace_sid, at);
CREATE INDEX events_by_resource ON events(workspace_sid, resource_sid, seq);
CREATE TABLE task_channels (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
  unique_name TEXT NOT NULL, friendly_name TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
  UNIQUE (workspace_sid, unique_name)
);
CREATE TABLE worker_channels (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  worker_sid TEXT NOT NULL REFERENCES workers(sid) ON DELETE CASCADE,
  task_channel_sid TEXT NOT NULL REFERENCES task_channels(sid) ON DELETE CASCADE,
  capacity INTEGER NOT NULL, available INTEGER NOT NULL,
  reserved INTEGER NOT NULL DEFAULT 0, assigned INTEGER NOT NULL DEFAULT 0,
  last_reserved_at BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
  UNIQUE (worker_sid, task_channel_sid)
);
CREATE TABLE task_queues (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
  friendly_name TEXT NOT NULL, target_workers TEXT NOT NULL,
  reservation_activity_sid TEXT REFERENCES activities(sid), assignment_activity_sid TEXT REFERENCES activities(sid),
  max_reserved_workers INTEGER NOT NULL, task_order TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
  UNIQUE (workspace_sid, friendly_name)
);
CREATE TABLE workflows (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
  friendly_name TEXT NOT NULL, configuration TEXT NOT NULL, task_reservation_timeout_s INTEGER NOT NULL,
  assignment_callback_url TEXT, fallback_assignment_callback_url TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);
CREATE TABLE tasks (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
  workflow_sid TEXT NOT NULL REFERENCES workflows(sid),
  queue_sid TEXT REFERENCES task_queues(sid),
  task_channel_sid TEXT NOT NULL REFERENCES task_channels(sid),
  attributes TEXT NOT NULL, priority INTEGER NOT NULL, timeout_s INTEGER NOT NULL,
  assignment_status TEXT NOT NULL, reason TEXT,
  filter_index INTEGER NOT NULL, target_index INTEGER NOT NULL, target_since BIGINT NOT NULL, target_due_at BIGINT,
  expires_at BIGINT NOT NULL, excluded_workers TEXT NOT NULL, version INTEGER NOT NULL,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
  routing_target TEXT, virtual_start_at BIGINT, transfer_sid TEXT, transfer_worker_sid TEXT
);
CREATE INDEX tasks_waiting ON tasks(workspace_sid, assignment_status, priority DESC, created_at);
CREATE INDEX tasks_target_due ON tasks(target_due_at) WHERE target_due_at IS NOT NULL;
CREATE INDEX tasks_expiry ON tasks(expires_at) WHERE assignment_status IN ('pending', 'reserved');
CREATE TABLE reservations (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
  task_sid TEXT NOT NULL REFERENCES tasks(sid) ON DELETE CASCADE,
  worker_sid TEXT NOT NULL REFERENCES workers(sid) ON DELETE CASCADE,
  status TEXT NOT NULL, timeout_at BIGINT, timeout_s INTEGER NOT NULL, version INTEGER NOT NULL,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, transfer_sid TEXT
);
CREATE INDEX reservations_by_worker ON reservations(worker_sid, status);
CREATE INDEX reservations_by_task ON reservations(task_sid, status);
CREATE INDEX reservations_due ON reservations(timeout_at) WHERE timeout_at IS NOT NULL;
CREATE TABLE task_transfers (
  sid TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
  task_sid TEXT NOT NULL REFERENCES tasks(sid) ON DELETE CASCADE,
  initiating_reservation_sid TEXT NOT NULL, initiating_worker_sid TEXT NOT NULL,
  initiating_queue_sid TEXT, initiating_workflow_sid TEXT NOT NULL,
  transfer_type TEXT NOT NULL, transfer_to TEXT NOT NULL, transfer_mode TEXT NOT NULL,
  status TEXT NOT NULL, failed_reason TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);
CREATE INDEX task_transfers_by_task ON task_transfers(task_sid, status);
CREATE INDEX task_transfers_by_initiator ON task_transfers(initiating_reservation_sid, status);
CREATE TABLE console_sessions (
  token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL,
  account_sid TEXT NOT NULL REFERENCES accounts(sid), credential_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid), worker_sid TEXT,
  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_expiry ON console_sessions(expires_at);
CREATE TABLE agent_links (
  token_hash TEXT PRIMARY KEY,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid), worker_sid TEXT NOT NULL,
  created_by TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT
);
CREATE TABLE flex_configuration (
  account_sid TEXT PRIMARY KEY REFERENCES accounts(sid),
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
  updated_at BIGINT NOT NULL
);
CREATE TABLE callback_outbox (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_sid TEXT NOT NULL, workspace_sid TEXT NOT NULL, kind TEXT NOT NULL,
  event_sid TEXT, event_type TEXT, reservation_sid TEXT, url TEXT NOT NULL, fallback_url TEXT,
  params TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT, last_attempt_at BIGINT, last_url TEXT, last_http_status INTEGER,
  last_error TEXT, answer TEXT, created_at BIGINT NOT NULL
);
CREATE INDEX callback_outbox_due ON callback_outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX callback_outbox_by_workspace ON callback_outbox(workspace_sid, id);
`;

/**
 * Migration 2: `events.commit_seq`, the place of an event in its workspace's stream, given when its
 * transaction commits. `seq` is given at insert, so with transactions running side by side a
 * smaller `seq` can commit after a larger one, and a reader following `seq` (the console's
 * stream, `eventsAfter`) would skip it for good. A deferred trigger numbers a transaction's events
 * at commit under a per-workspace transaction lock, held until the commit is visible: a reader
 * that sees number k of a workspace sees every number below k. SQLite's single writer gives the
 * same order with `seq` alone.
 */
export const EVENT_COMMIT_ORDER = `
CREATE SEQUENCE events_commit_seq;
ALTER TABLE events ADD COLUMN commit_seq BIGINT;
UPDATE events SET commit_seq = seq;
SELECT setval('events_commit_seq', COALESCE((SELECT MAX(seq) FROM events), 0) + 1, false);
CREATE UNIQUE INDEX events_by_commit ON events(workspace_sid, commit_seq);
CREATE FUNCTION events_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('rollcall:event-commit:' || current_schema() || ':' || NEW.workspace_sid, 0));
  UPDATE events SET commit_seq = nextval('events_commit_seq') WHERE seq = NEW.seq;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER events_commit_order AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION events_commit_order();
`;

/**
 * Migration 5: events are numbered as they are inserted, just before their transaction's COMMIT
 * (event-log.ts `writeEvents`: the workspace's lock, then one insert for all of them). The trigger
 * of migration 2 now fires only for a row inserted without a number: by a node of an older build
 * during a rolling upgrade. Measured before: per event, a lock call and an `UPDATE` at commit.
 */
export const EVENTS_NUMBERED_AT_INSERT = `
DROP TRIGGER events_commit_order ON events;
CREATE CONSTRAINT TRIGGER events_commit_order AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.commit_seq IS NULL) EXECUTE FUNCTION events_commit_order();
`;
