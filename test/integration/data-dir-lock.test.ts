/** One Rollcall process per data directory (a second would reap the first one's connections). */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRollcall } from '../../src/main.js';
import { startRollcall, tempDataDir } from '../support/harness.js';
import { pino } from 'pino';

const configFor = (dir: string) => loadConfig({ PORT: '0', ROLLCALL_DATA_DIR: dir, ROLLCALL_LOG_LEVEL: 'silent' });

describe('the data directory lock', () => {
  it('refuses a second Rollcall on the same data directory while the first runs, and allows it after', async () => {
    const dir = tempDataDir();
    const first = await startRollcall({}, dir);
    await expect(createRollcall(configFor(dir), { logger: pino({ level: 'silent' }) })).rejects.toThrow(/Another Rollcall process .* is using/);
    await first.rollcall.close();
    const second = await createRollcall(configFor(dir), { logger: pino({ level: 'silent' }) });
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes over the lock a crashed process left behind', async () => {
    const dir = tempDataDir();
    // A PID that cannot be running: above the kernel's pid_max.
    writeFileSync(path.join(dir, 'rollcall.pid'), '4194305');
    const rollcall = await createRollcall(configFor(dir), { logger: pino({ level: 'silent' }) });
    await rollcall.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
