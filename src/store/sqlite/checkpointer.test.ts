import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from './checkpointer.js';

const run = promisify(execFile);
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-checkpointer-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the background checkpointer', () => {
  it('stops even when its thread already died', async () => {
    const db = new Database(':memory:');
    // A file in a directory that does not exist: the thread throws while opening it and exits.
    let reported = '';
    let died!: () => void;
    const death = new Promise<void>((resolve) => (died = resolve));
    const checkpointer = startCheckpointer(db, path.join(tempDir(), 'missing', 'x.sqlite'), 50, (message) => {
      reported = message;
      died();
    });
    await death;
    // Once the thread is gone for good, stop must not wait for another exit.
    await checkpointer.exited;
    await checkpointer.stop();
    expect(reported).toMatch(/directory does not exist|unable to open/i);
    db.close();
  });

  it('stops a live thread, and store.close() returns with nothing else keeping the process alive', async () => {
    // Awaiting an unref'd thread let the loop run empty: the process ended mid-close (exit code 13
    // for an ES module awaiting at top level). A child process is the only honest check of that.
    const built = path.resolve('dist/src/store/sqlite/sqlite-store.js');
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first (npm test does)`);
    const dir = tempDir();
    const script = path.join(dir, 'close.mjs');
    writeFileSync(script, [
      `import { createSqliteStore } from ${JSON.stringify(built)};`,
      `const store = createSqliteStore({ file: ${JSON.stringify(path.join(dir, 'db.sqlite'))}, clock: { now: () => Date.now(), at: () => () => {} }, checkpointIntervalMs: 20 });`,
      'await new Promise((resolve) => setTimeout(resolve, 100));',
      'await store.close();',
      "console.log('closed');",
    ].join('\n'));
    const { stdout } = await run(process.execPath, [script]);
    expect(stdout.trim()).toBe('closed');
  });
});
