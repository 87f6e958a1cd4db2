/** The live store for as long as a page shows it: the stream opens on mount and closes on unmount. */
import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { createLiveStore } from '../live';
import type { LiveState } from '../live';
import { setClockOffset } from './server-clock';

export function useLive(): LiveState {
  const [store] = useState(createLiveStore);
  useEffect(() => store.start(), [store]);
  const state = useSyncExternalStore(store.subscribe, store.getState);
  useEffect(() => setClockOffset(state.clockOffsetMs), [state.clockOffsetMs]);
  return state;
}

const FIRST_ROWS = 100;
const CHUNK_BUDGET_MS = 40;

/**
 * How many of `total` rows to mount: a first screenful at once, then more in later tasks, each
 * chunk sized from how long the last one took, so 2 000 rows never make one long task on a slow
 * machine nor crawl on a fast one. Never shrinks, so filtering does not restart it.
 */
export function useProgressiveLimit(total: number): number {
  const [limit, setLimit] = useState(FIRST_ROWS);
  const step = useRef(FIRST_ROWS);
  const startedAt = useRef(0);
  useLayoutEffect(() => {
    if (startedAt.current === 0) return;
    const took = Math.max(1, performance.now() - startedAt.current);
    step.current = Math.min(500, Math.max(25, Math.round((step.current * CHUNK_BUDGET_MS) / took)));
    startedAt.current = 0;
  }, [limit]);
  useEffect(() => {
    if (limit >= total) return;
    const timer = window.setTimeout(() => {
      startedAt.current = performance.now();
      setLimit((n) => n + step.current);
    }, 0);
    return () => window.clearTimeout(timer);
  }, [limit, total]);
  return limit;
}
