import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../../../test/support/postgres.js';
import { PgDatabase } from './database.js';
import { migrate, MIGRATIONS } from './migrations.js';

describe.skipIf(NO_POSTGRES)(`PostgreSQL migrations${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let schema: TestSchema;
  const dbs: PgDatabase[] = [];
  const open = (): PgDatabase => {
    const db = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions, poolSize: 2 });
    dbs.push(db);
    return db;
  };
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.close();
    await schema.drop();
  });

  it('lets two nodes open one empty schema at once: one migrates, the other waits and finds nothing to do', async () => {
    schema = await createTestSchema();
    const [a, b] = await Promise.all([migrate(open().pool), migrate(open().pool)]);
    expect([a, b].map((applied) => applied.length).sort()).toEqual([0, MIGRATIONS.length]);
    const versions = await open().sql.rows<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(await migrate(open().pool)).toEqual([]);
  });

  it('refuses a schema newer than this build', async () => {
    schema = await createTestSchema();
    const db = open();
    await migrate(db.pool);
    await db.sql.run('INSERT INTO schema_migrations (version) VALUES ($1)', [MIGRATIONS.length + 1]);
    await expect(migrate(db.pool)).rejects.toThrow(/newer than this build/);
  });

  it('keeps the activity log append-only below the retention mark', async () => {
    schema = await createTestSchema();
    const db = open();
    await migrate(db.pool);
    await db.sql.run("INSERT INTO activity_log (workspace_sid, worker_sid, to_activity_sid, cause, actor, effective_at, recorded_at) VALUES ('WS1', 'WK1', 'WA1', 'api', 'x', 5000, 5000)");
    await expect(db.sql.run("UPDATE activity_log SET actor = 'y'")).rejects.toThrow(/append-only/);
    await expect(db.sql.run('DELETE FROM activity_log')).rejects.toThrow(/append-only/);
    await db.sql.run('UPDATE retention_marks SET history_before = 6000');
    expect(await db.sql.run('DELETE FROM activity_log')).toBe(1);
  });
});
