/**
 * Fault injection at the store port: a wrapper around the real store whose every verb fails while
 * `failing` is set, as a full disk or a broken volume would (the call rejects, nothing is written).
 * It is not a mock: outside the window each call goes to the real SQLite store.
 */
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

export interface FailingStore {
  failing: boolean;
  /** When set, only these verbs fail while `failing`. */
  only: ReadonlySet<string> | null;
  /** Calls refused while failing. */
  refused: number;
  wrap(store: SqliteStore): SqliteStore;
}

/** Verbs that never fail here: closing (the stop must close the real file). */
const PASS_THROUGH = new Set(['close', 'workerHistories']);

export function failingStore(): FailingStore {
  const control: FailingStore = {
    failing: false,
    only: null,
    refused: 0,
    wrap(store) {
      return new Proxy(store, {
        get(target, name, receiver) {
          const value: unknown = Reflect.get(target, name, receiver);
          if (typeof value !== 'function' || typeof name !== 'string' || PASS_THROUGH.has(name)) return value;
          return (...args: unknown[]) => {
            if (control.failing && (control.only === null || control.only.has(name))) {
              control.refused++;
              const error = Object.assign(new Error('disk I/O error (injected)'), { code: 'SQLITE_IOERR' });
              return Promise.reject(error);
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
  };
  return control;
}
