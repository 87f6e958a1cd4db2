import { fmt, ReportTable, type Dist } from './report.js';

/**
 * Figures shared by the routing benches: nearest-rank percentiles, the report table, a seeded
 * generator (so two runs route the same population), the worker population of the issue's
 * target (10 000 workers with 1–3 skills over 20 queues) and a clock shared across processes.
 */

export { dist, fmt, type Dist, type Row } from './report.js';

export const showDist = (d: Dist, unit: string, digits = 1): string =>
  `n ${d.n}  min ${fmt(d.min, digits)}  p50 ${fmt(d.p50, digits)}  p90 ${fmt(d.p90, digits)}  p99 ${fmt(d.p99, digits)}  max ${fmt(d.max, digits)} ${unit}`;

/** mulberry32: small, fast and good enough to shuffle a bench population reproducibly. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const QUEUES = 20;
export const skillName = (k: number): string => `skill${k}`;
export const targetWorkersOf = (k: number): string => `worker.skills HAS "${skillName(k)}"`;

/** 1–3 distinct skills out of `QUEUES`, uniformly. */
export function pickSkills(random: () => number): string[] {
  const count = 1 + Math.floor(random() * 3);
  const skills = new Set<string>();
  while (skills.size < count) skills.add(skillName(Math.floor(random() * QUEUES)));
  return [...skills];
}

export const machineLine = async (): Promise<string> => {
  const os = await import('node:os');
  const cpus = os.cpus();
  return `${cpus.length}× ${cpus[0]?.model ?? '?'}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}; load avg ${os.loadavg().map((x) => fmt(x, 2)).join(' ')}`;
};

/**
 * Epoch milliseconds with sub-millisecond resolution that agree across processes on one host:
 * the monotonic clock, pinned to `Date.now()` at the instant it ticks (median of 5 ticks), so
 * that the server's stamps, the load generator's stamps and the store's `created_at` (Date.now)
 * are on one time line.
 */
export function createPreciseClock(): { readonly now: () => number; readonly offsetMs: number } {
  const offsets: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = Date.now();
    let tick = before;
    while (tick === before) tick = Date.now();
    offsets.push(performance.timeOrigin + performance.now() - tick);
  }
  const offsetMs = offsets.sort((a, b) => a - b)[2] as number;
  return { now: () => performance.timeOrigin + performance.now() - offsetMs, offsetMs };
}

export class Report extends ReportTable {
  constructor() {
    super(1);
  }

  target(metric: string, d: Dist | null, measured: number, budget: number, target: string, ok: boolean, ratio: number, why = ''): void {
    this.rows.push({ metric, d, value: d ? undefined : measured, target, verdict: `${ok ? 'OK' : 'MISS'} ${fmt(ratio, 2)}×` });
    if (!ok) this.misses.push(`${metric}: ${fmt(measured, 2)} against ${target}${why ? ` (${why})` : ''}`);
  }
}
