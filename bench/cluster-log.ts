/**
 * What the cluster bench reads straight from PostgreSQL (one `pg` client of the orchestrator, as an
 * operator would; the nodes are not asked): the activity log's logouts with their evidence, the
 * committed transitions in a window, the open connections per node, and the node rows.
 *
 * "Committed" is the commit's own instant (`pg_xact_commit_timestamp`, so the server must run with
 * `track_commit_timestamp = on`), not the row's `recorded_at`: that is the transaction's instant,
 * read at its start, and a claim of many logouts commits seconds after it starts.
 */
import pg from 'pg';

export interface LogoutRow {
  readonly workerSid: string;
  readonly lastSeenAt: number;
  readonly thresholdMs: number;
  readonly dueAt: number;
  readonly reason: string;
  readonly effectiveAt: number;
  /** The transaction's instant (read at its start, the database's clock). */
  readonly recordedAt: number;
  /** When that transaction committed (the database's clock). */
  readonly committedAt: number;
}

const COMMITTED_AT = '(extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000)::float8';

interface Evidence { lastSeenAt: number; thresholdMs: number; dueAt: number; reason: string }

export class ClusterLog {
  private constructor(private readonly sql: pg.Client) {}

  static async open(url: string): Promise<ClusterLog> {
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    const { rows } = await sql.query<{ track_commit_timestamp: string }>('SHOW track_commit_timestamp');
    if (rows[0]?.track_commit_timestamp !== 'on') {
      await sql.end();
      throw new Error('the cluster bench reads commit instants: start PostgreSQL with -c track_commit_timestamp=on (see bench/README.md)');
    }
    return new ClusterLog(sql);
  }

  /** The newest activity-log id: rows after it are this phase's. */
  async marker(): Promise<number> {
    const { rows } = await this.sql.query<{ id: string | null }>('SELECT MAX(id) AS id FROM activity_log');
    return Number(rows[0]?.id ?? 0);
  }

  async logoutCount(since: number): Promise<number> {
    const { rows } = await this.sql.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM activity_log WHERE id > $1 AND cause = 'offline-threshold'", [since]);
    return rows[0]?.n ?? 0;
  }

  /** Polls until `n` logouts exist after `since`, or `untilAt` passes; the count seen. */
  async waitForLogouts(since: number, n: number, untilAt: number): Promise<number> {
    for (;;) {
      const seen = await this.logoutCount(since);
      if (seen >= n || Date.now() > untilAt) return seen;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async logouts(since: number): Promise<LogoutRow[]> {
    const { rows } = await this.sql.query<{ worker_sid: string; evidence: string; effective_at: string; recorded_at: string; committed_at: number }>(
      `SELECT worker_sid, evidence, effective_at, recorded_at, ${COMMITTED_AT} AS committed_at FROM activity_log WHERE id > $1 AND cause = 'offline-threshold' ORDER BY id`, [since]);
    return rows.map((r) => {
      const e = JSON.parse(r.evidence) as Evidence;
      return {
        workerSid: r.worker_sid, lastSeenAt: e.lastSeenAt, thresholdMs: e.thresholdMs, dueAt: e.dueAt, reason: e.reason,
        effectiveAt: Number(r.effective_at), recordedAt: Number(r.recorded_at), committedAt: Number(r.committed_at),
      };
    });
  }

  /** Activity changes of `cause` committed in [fromAt, toAt) (the database's clock). */
  async committedBetween(cause: string, fromAt: number, toAt: number): Promise<number> {
    const { rows } = await this.sql.query<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM activity_log WHERE cause = $1 AND ${COMMITTED_AT} >= $2 AND ${COMMITTED_AT} < $3`, [cause, fromAt, toAt]);
    return rows[0]?.n ?? 0;
  }

  /** Open connections per node id. */
  async connectionsByNode(): Promise<Map<string, number>> {
    const { rows } = await this.sql.query<{ node_id: string; n: number }>('SELECT node_id, COUNT(*)::int AS n FROM connections GROUP BY node_id');
    return new Map(rows.map((r) => [r.node_id, r.n]));
  }

  /** The node ids holding connections of these workers. */
  async nodesOf(workerSids: readonly string[]): Promise<string[]> {
    const { rows } = await this.sql.query<{ node_id: string }>('SELECT DISTINCT node_id FROM connections WHERE worker_sid = ANY($1)', [workerSids]);
    return rows.map((r) => r.node_id);
  }

  async node(id: string): Promise<{ heartbeatAt: number; retiredAt: number | null } | null> {
    const { rows } = await this.sql.query<{ heartbeat_at: string; retired_at: string | null }>('SELECT heartbeat_at, retired_at FROM nodes WHERE id = $1', [id]);
    const row = rows[0];
    return row ? { heartbeatAt: Number(row.heartbeat_at), retiredAt: row.retired_at === null ? null : Number(row.retired_at) } : null;
  }

  /** The database's clock minus this process's, ms (half a round trip of error). */
  async clockOffsetMs(): Promise<number> {
    const before = Date.now();
    const { rows } = await this.sql.query<{ now: string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now');
    const after = Date.now();
    return Number(rows[0]?.now) - (before + after) / 2;
  }

  async activitySids(workspaceSid: string): Promise<Record<string, string>> {
    const { rows } = await this.sql.query<{ sid: string; friendly_name: string }>('SELECT sid, friendly_name FROM activities WHERE workspace_sid = $1', [workspaceSid]);
    return Object.fromEntries(rows.map((r) => [r.friendly_name, r.sid]));
  }

  close(): Promise<void> {
    return this.sql.end();
  }
}
