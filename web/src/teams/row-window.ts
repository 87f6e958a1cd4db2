/**
 * Which of the shown rows to mount: the ones in the browser window's view plus a margin above and
 * below; spacers (the row group's padding) stand in for the rest, so the page scrolls as if every
 * row were there.
 *
 * Why (measured with bench/console-bench.ts --trace, 2 000 workers, 50 changes a second): with
 * every row mounted, the main thread's largest single cost was IntersectionObserver work — the
 * ticking texts' observer and content-visibility's own, over thousands of targets, recomputed on
 * every frame that changed layout — then paint, lifecycle and layout over 2 000 rows, and React
 * comparing 2 000 rows per flush. All of that grew with the number of workers, not with what is
 * on screen. Mounted, it is now some 20–30 rows whatever the team's size.
 *
 * Rows differ in height (a disconnected worker's row has more lines), so heights are measured as
 * rows mount (ResizeObserver) and kept by worker SID; rows never seen count as ESTIMATE_PX.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { RefObject } from 'react';

/** A row of two lines of text and a badge: the common height. */
const ESTIMATE_PX = 88;
/** Rows mounted beyond the edges of the view, so a scroll shows rows, not a gap, before the next frame. */
const MARGIN_PX = 600;

export interface RowWindow {
  start: number;
  end: number;
  padTop: number;
  padBottom: number;
}

const same = (a: RowWindow, b: RowWindow): boolean =>
  a.start === b.start && a.end === b.end && Math.abs(a.padTop - b.padTop) < 0.5 && Math.abs(a.padBottom - b.padBottom) < 0.5;

function initial(count: number): RowWindow {
  const end = Math.min(count, Math.ceil((window.innerHeight + MARGIN_PX) / ESTIMATE_PX));
  return { start: 0, end, padTop: 0, padBottom: (count - end) * ESTIMATE_PX };
}

/**
 * `keys`: the worker SIDs of the shown rows, in order. `body`: the row group holding them.
 * Returns the window, and a ref callback each mounted row passes to its element (with the row's
 * SID in `data-worker-sid`) so its height is measured.
 */
export function useRowWindow(keys: readonly string[], body: RefObject<HTMLElement | null>): RowWindow & { measure: (el: HTMLElement | null) => (() => void) | undefined } {
  const [win, setWin] = useState<RowWindow>(() => initial(keys.length));
  const heights = useRef(new Map<string, number>());
  const latestKeys = useRef(keys);
  latestKeys.current = keys;
  const frame = useRef(0);

  const compute = useCallback((): void => {
    const el = body.current;
    if (!el) return;
    const list = latestKeys.current;
    // The row group's top padding is the spacer for the rows above the window, so its top is where
    // the first shown row's top would be. The view and its margins, in pixels from there:
    const top = el.getBoundingClientRect().top;
    const from = -top - MARGIN_PX;
    const to = -top + window.innerHeight + MARGIN_PX;
    let offset = 0;
    let start = list.length;
    let padTop = 0;
    let end = list.length;
    for (let i = 0; i < list.length; i++) {
      const h = heights.current.get(list[i] as string) ?? ESTIMATE_PX;
      if (start === list.length && offset + h > from) {
        start = i;
        padTop = offset;
      }
      if (offset >= to) {
        end = Math.max(i, start);
        break;
      }
      offset += h;
    }
    if (start === list.length) padTop = offset;
    let rest = 0;
    for (let i = end; i < list.length; i++) rest += heights.current.get(list[i] as string) ?? ESTIMATE_PX;
    const next = { start, end, padTop, padBottom: rest };
    setWin((prev) => (same(prev, next) ? prev : next));
  }, [body]);

  const schedule = useCallback((): void => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      compute();
    });
  }, [compute]);

  const [observer] = useState(() => new ResizeObserver((entries) => {
    let changed = false;
    for (const entry of entries) {
      const sid = (entry.target as HTMLElement).dataset.workerSid;
      const h = entry.borderBoxSize[0]?.blockSize ?? (entry.target as HTMLElement).offsetHeight;
      if (!sid || h === 0) continue;
      if (Math.abs((heights.current.get(sid) ?? ESTIMATE_PX) - h) >= 0.5) changed = true;
      heights.current.set(sid, h);
    }
    if (changed) schedule();
  }));

  // Other rows shown (a filter, a worker added or removed): computed now, before paint, so a
  // filter never shows a frame of the wrong rows. Same rows (most flushes: rows' data changed):
  // checked next frame, when layout is clean anyway, in case content above the table moved it.
  const computedFor = useRef<readonly string[]>([]);
  useLayoutEffect(() => {
    const prev = computedFor.current;
    computedFor.current = keys;
    if (prev.length === keys.length && prev.every((k, i) => k === keys[i])) schedule();
    else compute();
  }, [keys, compute, schedule]);

  useEffect(() => {
    window.addEventListener('scroll', schedule, { passive: true, capture: true });
    window.addEventListener('resize', schedule, { passive: true });
    return () => {
      window.removeEventListener('scroll', schedule, { capture: true });
      window.removeEventListener('resize', schedule);
      cancelAnimationFrame(frame.current);
      frame.current = 0;
      observer.disconnect();
    };
  }, [schedule, observer]);

  const measure = useCallback((el: HTMLElement | null) => {
    if (!el) return undefined;
    observer.observe(el);
    return () => observer.unobserve(el);
  }, [observer]);

  return { ...win, measure };
}

