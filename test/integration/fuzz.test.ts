/**
 * A sample of the fuzzing that `npm run bench:fuzz` runs at 100 000+ cases (bench/fuzz-harness.ts):
 * generated REST requests, envelopes, upgrades and agent frames against a real Rollcall. No 5xx,
 * every refusal in the caller's dialect, and the store unchanged by every refused request.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeCases, FuzzRunner, restCases, sendRawUpgrade, upgradeCases } from '../../bench/fuzz-harness.js';
import { envelopeProperty, restProperty, upgradeProperty } from '../../bench/fuzz-properties.js';

let runner: FuzzRunner;
const RUNS = Number(process.env.ROLLCALL_FUZZ_RUNS ?? 400);

beforeAll(async () => {
  runner = await FuzzRunner.start();
});
afterAll(async () => {
  if (process.env.ROLLCALL_FUZZ_TALLY) console.log(JSON.stringify({ tally: runner.world.tally, worlds: runner.worlds }));
  await runner.close();
});

describe('fuzzing', () => {
  it('notices a change to the store (the check that refusals change nothing is not vacuous)', async () => {
    const world = runner.world;
    const mark = world.mark();
    expect(world.unchangedSince(mark)).toBe(true);
    await world.rollcall.store.createActivity({ workspaceSid: world.rollcall.installation.workspace.sid, friendlyName: 'Fuzz check', available: false, actor: 'test' });
    expect(world.unchangedSince(mark)).toBe(false);
  });

  it('REST: no 5xx, Twilio-shaped refusals, refused requests change nothing', async () => {
    await fc.assert(fc.asyncProperty(restCases(), restProperty(runner)), { numRuns: RUNS * 2 });
  }, 180_000);

  it('envelope: no 5xx, {message} refusals, refused requests change nothing', async () => {
    await fc.assert(fc.asyncProperty(envelopeCases(), envelopeProperty(runner)), { numRuns: RUNS });
  }, 180_000);

  it('WebSocket upgrades and agent frames: accepted or refused with a 4xx, never a crash', async () => {
    await fc.assert(fc.asyncProperty(upgradeCases(), upgradeProperty(runner)), { numRuns: Math.ceil(RUNS / 8) });
    for (const raw of ['GET /v1/wschannels HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', 'GET /v1/wschannels?token=%zz HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 99\r\nSec-WebSocket-Key: x\r\n\r\n', '\u0000\u0001garbage\r\n\r\n']) {
      expect(await sendRawUpgrade(runner.world, raw)).not.toMatch(/ 5\d\d /);
    }
    expect((await fetch(`${runner.world.url}/healthz`)).status).toBe(200);
  }, 180_000);
});
