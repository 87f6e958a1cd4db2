/**
 * Figures shared by the routing benches: nearest-rank percentiles, the report table, a seeded
 * generator (so two runs route the same population), the worker population of the issue's
 * target (10 000 workers with 1–3 skills over 20 queues) and a clock shared across processes.
 */

export interface Dist { readonly n: number; readonly min: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }

/** Nearest-rank percentiles (the same definition as the presence bench). */
export function dist(values: readonly number[]): Dist {
  const s = Float64Array.from(values).sort();
  const at = (p: number): number => (s.length === 0 ? Number.NaN : (s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number));
  return { n: s.length, min: at(0), p50: at(50), p90: at(90), p99: at(99), max: at(100) };
}

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

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

export interface Row { readonly metric: string; readonly d: Dist | null; readonly value?: number; readonly target: string; readonly verdict: string }

/** Rows against targets (verdict and ratio) or for information, printed as one aligned table. */
export class Report {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];
  readonly misses: string[] = [];

  target(metric: string, d: Dist | null, measured: number, budget: number, target: string, ok: boolean, ratio: number, why = ''): void {
    this.rows.push({ metric, d, value: d ? undefined : measured, target, verdict: `${ok ? 'OK' : 'MISS'} ${fmt(ratio, 2)}×` });
    if (!ok) this.misses.push(`${metric}: ${fmt(measured, 2)} against ${target}${why ? ` (${why})` : ''}`);
  }

  info(metric: string, d: Dist | null, value?: number, target = ''): void {
    this.rows.push({ metric, d, value, target, verdict: 'info' });
  }

  lines(): string[] {
    const head = ['metric', 'n', 'min', 'p50', 'p90', 'p99', 'max', 'target', 'verdict'];
    const cells = this.rows.map((r) => [
      r.metric, r.d ? String(r.d.n) : '', ...(r.d ? [r.d.min, r.d.p50, r.d.p90, r.d.p99, r.d.max].map((x) => fmt(x)) : ['', '', '', '', fmt(r.value ?? Number.NaN, 1)]),
      r.target, r.verdict,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
    const line = (c: string[]): string => c.map((x, i) => (i === 0 || i >= 7 ? x.padEnd(widths[i] ?? 0) : x.padStart(widths[i] ?? 0))).join('  ').trimEnd();
    return [line(head), ...cells.map(line)];
  }
}
