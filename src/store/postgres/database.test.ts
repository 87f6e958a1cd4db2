import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../../../test/support/postgres.js';
import { PgDatabase } from './database.js';

describe.skipIf(NO_POSTGRES)(`PostgreSQL transactions${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let schema: TestSchema;
  let db: PgDatabase;
  afterEach(async () => {
    await db.close();
    await schema.drop();
  });

  it('reads int8 as numbers and the instant from the database clock', async () => {
    schema = await createTestSchema();
    db = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions });
    const row = await db.sql.one<{ n: number; c: number }>("SELECT 9007199254740991::int8 AS n, COUNT(*) AS c FROM (VALUES (1), (2)) v(x)");
    expect(row).toEqual({ n: Number.MAX_SAFE_INTEGER, c: 2 });
    await expect(db.sql.one('SELECT 9007199254740993::int8 AS n')).rejects.toThrow(/does not fit/);
    const before = Date.now();
    const at = await db.tx(async (tx) => tx.now);
    // Same machine: the database clock and this process's agree within a second.
    expect(Math.abs(at - before)).toBeLessThan(1000);
  });

  it('runs the lease\'s transaction and clock reading on a connection of their own while every pooled one is busy', async () => {
    schema = await createTestSchema();
    db = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions, poolSize: 2 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let entered = 0;
    let allIn: () => void = () => undefined;
    const busy = new Promise<void>((resolve) => { allIn = resolve; });
    // Both pooled connections held open, and a third transaction queued behind them.
    const holders = [1, 2].map(() => db.tx(async () => {
      if (++entered === 2) allIn();
      await gate;
    }));
    await busy;
    let queuedRan = false;
    const queued = db.tx(async () => {
      queuedRan = true;
    });
    const at = await db.leaseTx(async (tx) => tx.now);
    const clock = await db.leaseNow();
    expect(queuedRan).toBe(false);
    expect(clock).toBeGreaterThanOrEqual(at);
    release();
    await Promise.all([...holders, queued]);
    expect(queuedRan).toBe(true);
  });

  it("runs a batch's items at once in one transaction, keeps `serially` sections apart, and commits them together", async () => {
    schema = await createTestSchema();
    db = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions, poolSize: 2 });
    await db.sql.run('CREATE TABLE t (seq SERIAL PRIMARY KEY, item TEXT NOT NULL)');
    await db.sql.run('CREATE TABLE counter (n INTEGER NOT NULL)');
    await db.sql.run('INSERT INTO counter VALUES (0)');
    await db.tx((tx) => tx.all(['a', 'b', 'c'], async (item) => {
      await tx.run('INSERT INTO t (item) VALUES ($1)', [`${item}1`]);
      await tx.run('INSERT INTO t (item) VALUES ($1)', [`${item}2`]);
      // A read, then a write from what was read: alone, or the three would each add 1 to the same 0.
      await tx.serially(async () => {
        const n = (await tx.one<{ n: number }>('SELECT n FROM counter'))?.n ?? 0;
        await tx.run('UPDATE counter SET n = $1', [n + 1]);
      });
    }));
    // Interleaved: every item's first statement ran before any item's second.
    expect((await db.sql.rows<{ item: string }>('SELECT item FROM t ORDER BY seq')).map((r) => r.item)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'c2']);
    expect(await db.sql.one('SELECT n FROM counter')).toEqual({ n: 3 });
  });

  it("rolls a whole batch back when one item fails, throwing that item's error (not the aborted transaction's)", async () => {
    schema = await createTestSchema();
    db = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions, poolSize: 2 });
    await db.sql.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await db.sql.run('INSERT INTO t VALUES (2)');
    const failed = db.tx((tx) => tx.all([1, 2, 3], async (id) => {
      await tx.run('INSERT INTO t VALUES ($1)', [id + 10]);
      await tx.run('INSERT INTO t VALUES ($1)', [id]); // 2 exists
    }));
    await expect(failed).rejects.toMatchObject({ code: '23505' });
    expect(await db.sql.rows('SELECT id FROM t ORDER BY id')).toEqual([{ id: 2 }]);
    // The connection is clean for the next transaction.
    await db.tx((tx) => tx.run('INSERT INTO t VALUES (5)'));
    expect(await db.sql.rows('SELECT id FROM t ORDER BY id')).toEqual([{ id: 2 }, { id: 5 }]);
  });

  it('retries a transaction PostgreSQL rolled back as a deadlock victim, and both commit', async () => {
    schema = await createTestSchema();
    db = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions, poolSize: 4 });
    await db.sql.run('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
    await db.sql.run('INSERT INTO t VALUES (1, 0), (2, 0)');
    let attempts = 0;
    let bothHoldFirst: () => void = () => undefined;
    let held = 0;
    const barrier = new Promise<void>((resolve) => { bothHoldFirst = resolve; });
    // Each locks its first row, waits until the other holds its own, then asks for the other's: a deadlock.
    const crossing = (first: number, second: number) => db.tx(async (tx) => {
      attempts++;
      await tx.run('UPDATE t SET n = n + 1 WHERE id = $1', [first]);
      if (++held === 2) bothHoldFirst();
      await barrier;
      await tx.run('UPDATE t SET n = n + 1 WHERE id = $1', [second]);
    });
    await Promise.all([crossing(1, 2), crossing(2, 1)]);
    expect(attempts).toBe(3);
    expect(await db.sql.rows('SELECT id, n FROM t ORDER BY id')).toEqual([{ id: 1, n: 2 }, { id: 2, n: 2 }]);
  });

  it('rolls back and throws any other error', async () => {
    schema = await createTestSchema();
    db = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions });
    await db.sql.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await expect(db.tx(async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)');
      await tx.run('INSERT INTO t VALUES (1)');
    })).rejects.toThrow(/duplicate key/);
    expect(await db.sql.rows('SELECT * FROM t')).toEqual([]);
  });

  it('survives a column another node added under a prepared statement (a rolling upgrade): the connection is replaced and the statement retried', async () => {
    schema = await createTestSchema();
    db = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions, poolSize: 1 });
    await db.sql.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await db.sql.run('INSERT INTO t VALUES ($1)', [1]);
    // Prepared on the pool's one connection, outside and inside a transaction.
    expect(await db.sql.rows('SELECT * FROM t WHERE id = $1', [1])).toEqual([{ id: 1 }]);
    expect(await db.tx((tx) => tx.rows('SELECT * FROM t WHERE id > $1', [0]))).toEqual([{ id: 1 }]);
    const other = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions, poolSize: 1 });
    try {
      await other.sql.run('ALTER TABLE t ADD COLUMN extra INTEGER NOT NULL DEFAULT 7');
    } finally {
      await other.close();
    }
    expect(await db.sql.rows('SELECT * FROM t WHERE id = $1', [1])).toEqual([{ id: 1, extra: 7 }]);
    expect(await db.tx((tx) => tx.rows('SELECT * FROM t WHERE id > $1', [0]))).toEqual([{ id: 1, extra: 7 }]);
  });
});
