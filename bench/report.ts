/**
 * The figures every bench prints: nearest-rank percentiles, one aligned table of rows against
 * targets, and the closing block (misses, then the raw figures saved under `.bench-out/`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Dist { readonly n: number; readonly min: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }

/** Nearest-rank percentiles. */
export function dist(values: readonly number[]): Dist {
  const s = Float64Array.from(values).sort();
  const at = (p: number): number => (s.length === 0 ? Number.NaN : (s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number));
  return { n: s.length, min: at(0), p50: at(50), p90: at(90), p99: at(99), max: at(100) };
}

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export interface Row { readonly metric: string; readonly d: Dist | null; readonly value?: number; readonly target: string; readonly verdict: string }

/** Rows and notes; each bench adds its own way of judging a target row. */
export class ReportTable {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];
  readonly misses: string[] = [];

  /** `valueDigits`: decimals for a single-value row. */
  constructor(private readonly valueDigits: number) {}

  info(metric: string, d: Dist | null, value?: number, target = ''): void {
    this.rows.push({ metric, d, value, target, verdict: 'info' });
  }

  lines(): string[] {
    const head = ['metric', 'n', 'min', 'p50', 'p90', 'p99', 'max', 'target', 'verdict'];
    const cells = this.rows.map((r) => [
      r.metric, r.d ? String(r.d.n) : '', ...(r.d ? [r.d.min, r.d.p50, r.d.p90, r.d.p99, r.d.max].map((x) => fmt(x)) : ['', '', '', '', fmt(r.value ?? Number.NaN, this.valueDigits)]),
      r.target, r.verdict,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
    const line = (c: string[]): string => c.map((x, i) => (i === 0 || i >= 7 ? x.padEnd(widths[i] ?? 0) : x.padStart(widths[i] ?? 0))).join('  ').trimEnd();
    return [line(head), ...cells.map(line)];
  }
}

/** Prints the table, the notes and the misses, and saves the raw figures as `.bench-out/<name>-<time>.json`. */
export function printReport(name: string, machine: string, report: ReportTable, raw: Record<string, unknown>, say: (line: string) => void): void {
  for (const line of report.lines()) say(line);
  say('');
  for (const note of report.notes) say(note);
  say(report.misses.length === 0 ? '\nall targets met' : `\nMISSED:\n${report.misses.map((m) => `  - ${m}`).join('\n')}`);
  mkdirSync('.bench-out', { recursive: true });
  const out = path.join('.bench-out', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ machine, rows: report.rows, notes: report.notes, misses: report.misses, ...raw }, null, 1));
  say(`raw figures: ${out}`);
}
