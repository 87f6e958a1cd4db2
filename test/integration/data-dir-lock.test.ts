/**
 * One Rollcall process per data directory (a second would reap the first one's connections).
 * The lock is an OS-held SQLite exclusive lock; holders in other processes are real child
 * processes running the built lock (dist/), so that kill -9 and races are the operating system's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRollcall } from '../../src/main.js';
import { HOLDER_FILE, lockDataDir } from '../../src/store/sqlite/data-dir-lock.js';
import { startRollcall, tempDataDir } from '../support/harness.js';

const BUILT_LOCK = path.resolve('dist/src/store/sqlite/data-dir-lock.js');
const configFor = (dir: string) => loadConfig({ PORT: '0', ROLLCALL_DATA_DIR: dir, ROLLCALL_LOG_LEVEL: 'silent' });
const silent = pino({ level: 'silent' });
const children: ChildProcess[] = [];
const dirs: string[] = [];

function dataDir(): string {
  const dir = tempDataDir();
  dirs.push(dir);
  return dir;
}

/** A child process that takes the lock and says `locked` (or `refused: …`), then holds it until killed. */
function lockHolder(dir: string): { child: ChildProcess; outcome: Promise<string> } {
  const script = `
    import { lockDataDir } from ${JSON.stringify(BUILT_LOCK)};
    try { lockDataDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 60_000); }
    catch (error) { console.log('refused: ' + error.message); process.exit(3); }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const outcome = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code} before answering: ${out}`)));
  });
  return { child, outcome };
}

beforeAll(() => {
  if (!existsSync(BUILT_LOCK)) throw new Error(`${BUILT_LOCK} is missing: run \`npm run build\` first (npm test does)`);
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the data directory lock', () => {
  it('refuses a second Rollcall on the same data directory while the first runs, and allows it after', async () => {
    const dir = dataDir();
    const first = await startRollcall({}, dir);
    await expect(createRollcall(configFor(dir), { logger: silent })).rejects.toThrow(new RegExp(`Another Rollcall process \\(pid ${process.pid} on .*\\) is using`));
    await first.rollcall.close();
    const second = await createRollcall(configFor(dir), { logger: silent });
    await second.close();
  });

  it('refuses a start while another live process holds it, naming that process', async () => {
    const dir = dataDir();
    const holder = lockHolder(dir);
    expect(await holder.outcome).toBe('locked');
    await expect(createRollcall(configFor(dir), { logger: silent })).rejects.toThrow(`Another Rollcall process (pid ${holder.child.pid} on `);
  });

  it('is released by the operating system when its holder is killed with SIGKILL', async () => {
    const dir = dataDir();
    const holder = lockHolder(dir);
    expect(await holder.outcome).toBe('locked');
    const gone = new Promise((resolve) => holder.child.once('exit', resolve));
    holder.child.kill('SIGKILL');
    await gone;
    // The dead holder's name is still on disk; it does not matter.
    expect(existsSync(path.join(dir, HOLDER_FILE))).toBe(true);
    const rollcall = await createRollcall(configFor(dir), { logger: silent });
    await rollcall.close();
  });

  it('starts after a crash in a container, where the dead holder had our own PID', async () => {
    const dir = dataDir();
    // PID 1 in a container is reused by the restarted process: the old files name us.
    writeFileSync(path.join(dir, 'rollcall.pid'), String(process.pid));
    writeFileSync(path.join(dir, HOLDER_FILE), JSON.stringify({ pid: process.pid, host: 'container', startedAt: '2026-01-01T00:00:00.000Z' }));
    const rollcall = await createRollcall(configFor(dir), { logger: silent });
    // The legacy PID file is gone once the real lock is held.
    expect(existsSync(path.join(dir, 'rollcall.pid'))).toBe(false);
    await rollcall.close();
  });

  it('starts when the recorded PID now belongs to an unrelated live process', async () => {
    const dir = dataDir();
    const unrelated = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(unrelated);
    writeFileSync(path.join(dir, 'rollcall.pid'), String(unrelated.pid));
    writeFileSync(path.join(dir, HOLDER_FILE), JSON.stringify({ pid: unrelated.pid, host: 'here', startedAt: '2026-01-01T00:00:00.000Z' }));
    const release = lockDataDir(dir);
    release();
  });

  it('lets exactly one of two starts racing for a stale lock win', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = dataDir();
      writeFileSync(path.join(dir, 'rollcall.pid'), '4194305');
      writeFileSync(path.join(dir, HOLDER_FILE), JSON.stringify({ pid: 4194305, host: 'gone', startedAt: '2026-01-01T00:00:00.000Z' }));
      const racers = [lockHolder(dir), lockHolder(dir)];
      const outcomes = await Promise.all(racers.map((r) => r.outcome.catch((error: Error) => error.message)));
      const winners = racers.filter((_, i) => outcomes[i] === 'locked');
      expect(winners, outcomes.join(' / ')).toHaveLength(1);
      const loser = outcomes.find((o) => o !== 'locked') ?? '';
      expect(loser).toMatch(`Another Rollcall process (pid ${winners[0]?.child.pid} on `);
      for (const r of racers) r.child.kill('SIGKILL');
    }
  });
});
