/**
 * The SQLite store's first two migrations (the presence schema and the REST lists' indexes), kept
 * apart from migrations.ts for their length. Never edit a released migration.
 */
export const FIRST_MIGRATIONS: readonly string[] = [
  // 1: accounts, workspaces, activities, workers and the presence tables.
  `
  CREATE TABLE accounts (
    sid TEXT PRIMARY KEY,
    friendly_name TEXT NOT NULL,
    auth_token TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE api_keys (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES accounts(sid),
    friendly_name TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  CREATE TABLE workspaces (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES accounts(sid),
    friendly_name TEXT NOT NULL,
    default_activity_sid TEXT NOT NULL,
    timeout_activity_sid TEXT NOT NULL,
    event_callback_url TEXT,
    events_filter TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE activities (
    sid TEXT PRIMARY KEY,
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    friendly_name TEXT NOT NULL,
    available INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_sid, friendly_name)
  );
  CREATE TABLE logout_settings (
    workspace_sid TEXT PRIMARY KEY REFERENCES workspaces(sid),
    logout_activity_sid TEXT NOT NULL REFERENCES activities(sid),
    enabled INTEGER NOT NULL,
    threshold_ms INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE workers (
    sid TEXT PRIMARY KEY,
    workspace_sid TEXT NOT NULL REFERENCES workspaces(sid),
    friendly_name TEXT NOT NULL,
    attributes TEXT NOT NULL,
    activity_sid TEXT NOT NULL REFERENCES activities(sid),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    status_changed_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    -- the presence machine's state besides connections and the deadline (JSON)
    presence TEXT NOT NULL,
    UNIQUE (workspace_sid, friendly_name)
  );
  CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    retired_at INTEGER
  );
  CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    worker_sid TEXT NOT NULL REFERENCES workers(sid),
    node_id TEXT NOT NULL REFERENCES nodes(id),
    exempt INTEGER NOT NULL,
    opened_at INTEGER NOT NULL
  );
  CREATE INDEX connections_by_worker ON connections(worker_sid);
  CREATE INDEX connections_by_node ON connections(node_id);
  CREATE TABLE deadlines (
    worker_sid TEXT PRIMARY KEY REFERENCES workers(sid),
    deadline_id INTEGER NOT NULL,
    due_at INTEGER NOT NULL
  );
  CREATE INDEX deadlines_by_due ON deadlines(due_at);
  CREATE TABLE activity_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_sid TEXT NOT NULL,
    worker_sid TEXT NOT NULL,
    from_activity_sid TEXT,
    to_activity_sid TEXT NOT NULL,
    cause TEXT NOT NULL,
    actor TEXT NOT NULL,
    evidence TEXT,
    effective_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL
  );
  CREATE INDEX activity_log_by_worker ON activity_log(worker_sid, effective_at);
  CREATE TRIGGER activity_log_append_only_update BEFORE UPDATE ON activity_log
    BEGIN SELECT RAISE(ABORT, 'activity_log is append-only'); END;
  CREATE TRIGGER activity_log_append_only_delete BEFORE DELETE ON activity_log
    BEGIN SELECT RAISE(ABORT, 'activity_log is append-only'); END;
  CREATE TABLE disconnect_episodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_sid TEXT NOT NULL,
    worker_sid TEXT NOT NULL,
    last_seen_at INTEGER NOT NULL,
    detected_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    ended_at INTEGER,
    outcome TEXT
  );
  CREATE INDEX episodes_open ON disconnect_episodes(worker_sid) WHERE ended_at IS NULL;
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    workspace_sid TEXT NOT NULL,
    event_type TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_sid TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_sid TEXT,
    description TEXT NOT NULL,
    data TEXT NOT NULL,
    cause TEXT,
    evidence TEXT,
    at INTEGER NOT NULL
  );
  CREATE INDEX events_by_workspace ON events(workspace_sid, at);
  `,
  // 2: indexes for the REST lists (workers and events paged in their own order, filtered) and
  // for statistics over a workspace's activity log.
  `
  CREATE INDEX workers_by_workspace ON workers(workspace_sid);
  CREATE INDEX workers_by_activity ON workers(activity_sid);
  CREATE INDEX events_by_resource ON events(workspace_sid, resource_sid, seq);
  CREATE INDEX activity_log_by_workspace ON activity_log(workspace_sid, effective_at);
  `,
];
