/**
 * A real store that answers late, as one across a network does. Every method still runs on the
 * real (SQLite) store; only the settlement of its promise is put off: by `turns` turns of the
 * event loop (each a `setImmediate`), or until a held method is released. With `runAt: 'answer'`
 * the call itself is put off too, so writes committed meanwhile are seen (a read that happens
 * late); with the default `'call'`, the answer reflects the store when it was asked (a read that
 * happened early and arrives late). Not a mock: what comes back is what the real store said.
 */

export interface SlowStoreOptions {
  /** Event-loop turns before an answer settles. Default 1. */
  readonly turns?: number;
  /** When the real store is asked: at the call (default) or just before the answer settles. */
  readonly runAt?: 'call' | 'answer';
}

/** A method whose answers wait until released, each call on its own. */
export interface Hold {
  /** Resolves once `n` calls (counting from the hold) are waiting or were let through. */
  calls(n: number): Promise<void>;
  /** Lets the answer of the `index`-th held call (0-based) through, whatever the order. */
  releaseCall(index: number): void;
  /** Lets every held answer (and every later one) through, and ends the hold. */
  release(): void;
}

export interface SlowStore<T> {
  readonly store: T;
  /** Holds the answers of `method` until released. One hold per method at a time. */
  hold(method: string): Hold;
}

interface HoldState {
  /** One opener per held call, in call order. */
  readonly gates: (() => void)[];
  /** Calls released before they arrived. */
  readonly opened: Set<number>;
  watchers: { n: number; done: () => void }[];
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Not put off: closing must close the real file, and streams pace themselves. */
const PASS_THROUGH = new Set(['close']);

export function slowStore<T extends object>(real: T, options: SlowStoreOptions = {}): SlowStore<T> {
  const turns = options.turns ?? 1;
  const holds = new Map<string, HoldState>();

  const wait = async (method: string): Promise<void> => {
    for (let i = 0; i < turns; i++) await nextTurn();
    const hold = holds.get(method);
    if (!hold) return;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    hold.gates.push(open);
    if (hold.opened.has(hold.gates.length - 1)) open();
    for (const w of hold.watchers.filter((x) => hold.gates.length >= x.n)) w.done();
    hold.watchers = hold.watchers.filter((x) => hold.gates.length < x.n);
    await gate;
  };

  const store = {} as Record<string, unknown>;
  let proto: object | null = real;
  const names = new Set<string>();
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) names.add(name);
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  for (const name of names) {
    const value = (real as Record<string, unknown>)[name];
    if (typeof value !== 'function' || name === 'constructor') continue;
    const fn = value as (...args: unknown[]) => unknown;
    if (PASS_THROUGH.has(name)) {
      store[name] = (...args: unknown[]) => fn.apply(real, args);
      continue;
    }
    store[name] = (...args: unknown[]) => {
      if (options.runAt === 'answer') return wait(name).then(() => fn.apply(real, args));
      const answer = fn.apply(real, args);
      // Async iterables (report streams) are not promises: they pass as they are.
      if (!(answer instanceof Promise)) return answer;
      return answer.then(async (value) => {
        await wait(name);
        return value;
      }, async (error: unknown) => {
        await wait(name);
        throw error;
      });
    };
  }

  return {
    store: store as T,
    hold(method) {
      if (holds.has(method)) throw new Error(`${method} is already held`);
      const state: HoldState = { gates: [], opened: new Set(), watchers: [] };
      holds.set(method, state);
      return {
        calls: (n) => (state.gates.length >= n ? Promise.resolve() : new Promise<void>((done) => state.watchers.push({ n, done }))),
        releaseCall(index) {
          state.opened.add(index);
          state.gates[index]?.();
        },
        release() {
          holds.delete(method);
          for (const open of state.gates) open();
        },
      };
    },
  };
}
