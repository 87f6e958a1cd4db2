/**
 * `npm run bench:fuzz`: the fuzzing of bench/fuzz-harness.ts at full size — by default 60 000 REST
 * requests, 35 000 envelopes and 5 000 upgrades with agent frames (100 000 cases; scale with
 * `--cases N`, reproduce with `--seed S`). Prints the cases per second and the status tally of each
 * kind, and exits 1 on the first violated property (after fast-check shrinks it) or on any
 * unhandled rejection in the process.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { envelopeCases, FuzzRunner, restCases, upgradeCases } from './fuzz-harness.js';
import { envelopeProperty, restProperty, upgradeProperty } from './fuzz-properties.js';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '100000' }, seed: { type: 'string' } } });
const total = Number(values.cases);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
let unhandled = 0;
process.on('unhandledRejection', (reason) => {
  unhandled++;
  console.error('unhandled rejection:', reason);
});

const runner = await FuzzRunner.start();
const parts = [
  { kind: 'rest', runs: Math.round(total * 0.6), run: (n: number) => fc.assert(fc.asyncProperty(restCases(), restProperty(runner)), { numRuns: n, seed }) },
  { kind: 'envelope', runs: Math.round(total * 0.35), run: (n: number) => fc.assert(fc.asyncProperty(envelopeCases(), envelopeProperty(runner)), { numRuns: n, seed }) },
  { kind: 'upgrade', runs: Math.round(total * 0.05), run: (n: number) => fc.assert(fc.asyncProperty(upgradeCases(), upgradeProperty(runner)), { numRuns: n, seed }) },
];
console.log(`fuzzing ${total} cases, seed ${seed}`);
let failed = false;
for (const part of parts) {
  const started = performance.now();
  try {
    await part.run(part.runs);
  } catch (error) {
    failed = true;
    console.error(`${part.kind}: property violated\n${String(error)}`);
    break;
  }
  const seconds = (performance.now() - started) / 1000;
  const tally = Object.entries(runner.world.tally[part.kind] ?? {}).map(([status, n]) => `${status}:${n}`).join(' ');
  console.log(`${part.kind.padEnd(9)} ${String(part.runs).padStart(7)} cases in ${seconds.toFixed(1)} s (${(part.runs / seconds).toFixed(0)}/s)  statuses ${tally}`);
}
console.log(`worlds used: ${runner.worlds} (a new one whenever a case deleted the seeded workspace, every worker, or the key)`);
console.log(`unhandled rejections: ${unhandled}`);
await runner.close();
process.exit(failed || unhandled > 0 ? 1 : 0);
