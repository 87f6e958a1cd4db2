/**
 * The PostgreSQL connection layer: one `pg.Pool`, and `tx`, the only way the store writes. A
 * transaction runs at READ COMMITTED with explicit row locks (the worker row is the serialisation
 * point, see presence-writer.ts); it is retried whole on a serialization failure (40001) or a
 * deadlock (40P01), which PostgreSQL reports for transactions it rolled back itself.
 *
 * Time: a transaction reads its instant once, at its start, from the database's clock
 * (`clock_timestamp()`), so every node of a cluster measures due times against the same clock and
 * a node's own clock never decides one. Tests hand in a Clock instead (the contracts' ManualClock).
 */
import pg from 'pg';
import type { Clock } from '../../service/ports.js';
import { coalesce, config } from './statement-wire.js';

/** int8 (COUNT, BIGINT columns, identities) as JS numbers: epoch milliseconds and row ids fit. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${value} does not fit a JS number`);
  return n;
}

const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format ?? 'text'))) as typeof pg.types.getTypeParser,
};

/** Statements inside one transaction (or on the pool, for single reads). */
export interface Sql {
  rows<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  one<R>(text: string, params?: readonly unknown[]): Promise<R | undefined>;
  /** Runs a write; resolves to the number of rows it touched. */
  run(text: string, params?: readonly unknown[]): Promise<number>;
}

/** A transaction: its statements and its instant (read once, at its start). */
export interface Tx extends Sql {
  readonly now: number;
  /**
   * Runs `fn` for every item at once, in this transaction: their statements share the pipelined
   * connection, so a batch of N workers costs about the round trips of one, not N times them. The
   * items must not touch each other's rows except inside `serially`. Waits for every item to end
   * before it resolves or throws (a failed item aborts the transaction, and the others' statements
   * then fail too, so nothing runs after the ROLLBACK); throws the first item's own error.
   */
  all<I, R>(items: readonly I[], fn: (item: I) => Promise<R>): Promise<R[]>;
  /** Runs `fn` alone among the items of `all` (rows they share, such as a task two workers were offered). */
  serially<R>(fn: () => Promise<R>): Promise<R>;
  /**
   * Sends a write whose answer nobody reads, without waiting for it: the statements after it go out
   * behind it on the pipelined connection and see its effect. Its failure aborts the transaction;
   * the commit (or the statement that then fails as aborted) throws that failure.
   */
  send(text: string, params?: readonly unknown[]): void;
  /**
   * Runs `fn` once `fn` of the transaction has returned, just before the COMMIT is sent (in the order
   * registered); `fn` may only `send`. For work that must come last, such as numbering the events
   * under their workspace's lock for as short a time as possible (event-log.ts).
   */
  beforeCommit(fn: () => void): void;
}

/** "current transaction is aborted": the echo of an earlier statement's failure, never the cause. */
const ABORTED = '25P02';

/** After all of `promises` settled: the first failure that is not only "aborted", else the first; undefined if none failed. */
async function firstFailure(promises: readonly Promise<unknown>[]): Promise<unknown> {
  const failures = (await Promise.allSettled(promises)).filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown);
  return failures.find((e) => codeOf(e) !== ABORTED) ?? failures[0];
}

/** `Tx.all`: every item started at once; settles only when all have. */
async function settleAll<I, R>(items: readonly I[], fn: (item: I) => Promise<R>): Promise<R[]> {
  const running = items.map(fn);
  const failed = await firstFailure(running);
  if (failed !== undefined) throw failed;
  return Promise.all(running);
}

/** A transaction's statements, its instant, the queue `serially` keeps, the writes it sent and what runs before its commit. */
function txOf(client: pg.PoolClient, now: number): { tx: Tx; sent: Promise<unknown>[]; last: (() => void)[] } {
  let queue: Promise<unknown> = Promise.resolve();
  const sent: Promise<unknown>[] = [];
  const last: (() => void)[] = [];
  const tx: Tx = {
    ...sqlOf(client, true),
    now,
    all: settleAll,
    serially<R>(fn: () => Promise<R>): Promise<R> {
      const run = queue.then(fn, fn);
      queue = run.catch(() => undefined);
      return run;
    },
    send(text, params = []) {
      coalesce(client);
      const write = client.query(config(text, params));
      write.catch(() => undefined); // read at the commit, or by the catch of the transaction
      sent.push(write);
    },
    beforeCommit(fn) {
      last.push(fn);
    },
  };
  return { tx, sent, last };
}

export interface PgDatabaseOptions {
  readonly url: string;
  /** Connections in the pool. Default 8 (scale-out.md measured its storms with 8). */
  readonly poolSize?: number;
  /** Absent in production: time comes from `clock_timestamp()`. Tests pass a ManualClock. */
  readonly clock?: Clock;
  /** Extra libpq options, e.g. `-c search_path=…` (the tests' schema per test). */
  readonly pgOptions?: string;
  /** Told when an idle pooled connection fails (the server restarted); the pool replaces it. */
  readonly onConnectionError?: (message: string) => void;
}

const RETRIED = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 8;
const NOW_SQL = 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::int8 AS now';

const sqlOf = (client: pg.PoolClient, pipelined = false): Sql => {
  const query = (text: string, params: readonly unknown[]) => {
    if (pipelined) coalesce(client);
    return client.query(config(text, params));
  };
  return {
    async rows<R>(text: string, params: readonly unknown[] = []) {
      return (await query(text, params)).rows as R[];
    },
    async one<R>(text: string, params: readonly unknown[] = []) {
      return (await query(text, params)).rows[0] as R | undefined;
    },
    async run(text: string, params: readonly unknown[] = []) {
      return (await query(text, params)).rowCount ?? 0;
    },
  };
};

/** BEGIN and the transaction's instant in one round trip (a simple query of two statements). */
async function begin(client: pg.PoolClient): Promise<number> {
  const results = (await client.query(`BEGIN; ${NOW_SQL}`)) as unknown as pg.QueryResult<{ now: number }>[];
  return results[1]?.rows[0]?.now ?? Number.NaN;
}

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;

/**
 * A prepared statement whose table another node changed (a migration during a rolling upgrade):
 * PostgreSQL refuses to run it on that connection again. The connection is dropped (its prepared
 * statements go with it) and the work runs again on another.
 */
const isStalePlan = (error: unknown): boolean =>
  codeOf(error) === '0A000' && error instanceof Error && /cached plan must not change result type/.test(error.message);

export class PgDatabase {
  readonly pool: pg.Pool;
  /**
   * One connection of its own for the node's lease (heartbeat and the store clock's reading): a
   * renewal queued behind a backlog of requests in the main pool (a reconnect storm of thousands of
   * agents) would miss the lease, and the other nodes would reap a live node.
   */
  private readonly leasePool: pg.Pool;
  /** Single statements outside a transaction (reads). */
  readonly sql: Sql;
  private readonly clock: Clock | undefined;
  private readonly maxClients: number;

  constructor(options: PgDatabaseOptions) {
    // Pipelined: a statement is sent without waiting for the answers to those before it, which
    // only matters where the store sends several at once (`Tx.all`, `Tx.send`, reads sent
    // together); statements awaited one at a time behave as before.
    this.pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 8, types, options: options.pgOptions, pipeline: true });
    this.leasePool = new pg.Pool({ connectionString: options.url, max: 1, types, options: options.pgOptions, pipeline: true });
    // An idle client's failure must not crash the process (pg would throw it as an unhandled
    // 'error' event); it is reported, the pool drops that client, and the next query reconnects.
    for (const pool of [this.pool, this.leasePool]) {
      pool.on('error', (error) => options.onConnectionError?.(`PostgreSQL connection lost while idle: ${error.message}`));
      // A client checked out when the link breaks has no pool listener: without one of its own, its
      // 'error' event would crash the process. Its statement fails with the same error (the caller's).
      pool.on('connect', (client) => client.on('error', () => undefined));
    }
    this.maxClients = options.poolSize ?? 8;
    this.sql = {
      rows: (text, params) => this.onClient((c) => sqlOf(c).rows(text, params)),
      one: (text, params) => this.onClient((c) => sqlOf(c).one(text, params)),
      run: (text, params) => this.onClient((c) => sqlOf(c).run(text, params)),
    };
    this.clock = options.clock;
  }

  /** One statement on a pooled connection; a connection with a stale prepared statement is dropped and another tried. */
  private async onClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let drop = false;
      try {
        return await fn(client);
      } catch (error) {
        drop = isStalePlan(error);
        if (!drop || attempt > this.maxClients) throw error;
      } finally {
        client.release(drop);
      }
    }
  }

  /** The store's now outside a transaction (the database clock unless a Clock was given). */
  async now(): Promise<number> {
    if (this.clock) return this.clock.now();
    return (await this.sql.one<{ now: number }>(NOW_SQL))?.now ?? Number.NaN;
  }

  /** `now()` read on the lease's own connection: the store clock's reading at each renewal, timed by its round trip. */
  async leaseNow(): Promise<number> {
    if (this.clock) return this.clock.now();
    const client = await this.leasePool.connect();
    try {
      return (await sqlOf(client).one<{ now: number }>(NOW_SQL))?.now ?? Number.NaN;
    } finally {
      client.release();
    }
  }

  /**
   * BEGIN … COMMIT around `fn`, retried whole on 40001/40P01 (and on another connection after a
   * stale prepared statement); any other error rolls back and is thrown.
   */
  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.txOn(this.pool, fn);
  }

  /** `tx` on the lease's own connection: for the node's heartbeat only, never queued behind other work. */
  leaseTx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.txOn(this.leasePool, fn);
  }

  private async txOn<T>(pool: pg.Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
    let stale = 0;
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      let broken = false;
      try {
        const now = this.clock ? (await client.query('BEGIN'), this.clock.now()) : await begin(client);
        const { tx, sent, last } = txOf(client, now);
        try {
          const result = await fn(tx);
          for (const work of last) work();
          // The COMMIT goes out behind the writes still in flight: one round trip for all of them.
          // If one of them failed, the server turned the COMMIT into a ROLLBACK; that failure is thrown.
          const commit = client.query('COMMIT');
          commit.catch(() => undefined);
          const failed = await firstFailure(sent);
          if (failed !== undefined) throw failed;
          await commit;
          return result;
        } catch (error) {
          // A statement that failed only because an earlier sent write had aborted the transaction:
          // the earlier failure is the cause (and decides whether to retry).
          throw codeOf(error) === ABORTED ? (await firstFailure(sent)) ?? error : error;
        }
      } catch (error) {
        // A stale prepared statement: this connection (and its statements) is dropped.
        broken = isStalePlan(error);
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection itself failed: drop it from the pool
        }
        if (isStalePlan(error) && stale++ < this.maxClients) attempt--;
        else if (!RETRIED.has(codeOf(error) ?? '') || attempt >= MAX_ATTEMPTS) throw error;
      } finally {
        client.release(broken);
      }
      // Back off a little, with jitter, so two retrying transactions do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.leasePool.end()]);
  }
}
