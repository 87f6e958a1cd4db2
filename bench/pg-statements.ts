/**
 * Counts the statements a bench server sends to PostgreSQL: every `pg.Client#query` call is one
 * (`BEGIN; SELECT now` is a single simple query), with the time from the call until its answer.
 * They are not round trips: the store pipelines (decision 011), so statements sent together in a
 * transaction share one. Installed in the bench's server process only, on PostgreSQL only:
 * nothing in src/ knows it is counted.
 */
import pg from 'pg';

export interface StatementCount {
  readonly statements: number;
  /** Sum of call → answer over every statement (statements in flight at once overlap). */
  readonly waitMs: number;
  /** The most frequent statements: their first words, how many, and their summed wait. */
  readonly top: readonly { readonly text: string; readonly count: number; readonly waitMs: number }[];
}

export interface StatementMeter {
  reset(): void;
  read(): StatementCount;
}

/** Wraps `pg.Client.prototype.query` once for this process. */
export function meterPgStatements(): StatementMeter {
  let statements = 0;
  let waitMs = 0;
  let byText = new Map<string, { count: number; waitMs: number }>();
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function query(this: unknown, ...args: unknown[]): unknown {
    statements++;
    const startedAt = performance.now();
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: unknown } | undefined)?.text ?? '?');
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
    const entry = byText.get(key) ?? { count: 0, waitMs: 0 };
    byText.set(key, entry);
    entry.count++;
    const result = original.apply(this, args);
    const settled = (): void => {
      const ms = performance.now() - startedAt;
      waitMs += ms;
      entry.waitMs += ms;
    };
    if (result && typeof (result as Promise<unknown>).then === 'function') void (result as Promise<unknown>).then(settled, settled);
    return result;
  };
  return {
    reset() {
      statements = 0;
      waitMs = 0;
      byText = new Map();
    },
    read: () => ({
      statements, waitMs,
      top: [...byText].map(([text, e]) => ({ text, ...e })).sort((a, b) => b.count - a.count).slice(0, 12),
    }),
  };
}
