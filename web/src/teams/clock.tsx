/**
 * Text that changes every second without re-rendering React: the shared tick writes the span's
 * text directly. The span has no React children, so React never holds a stale text node.
 *
 * Every mounted span is written each tick: only rows in and near the view are mounted
 * (row-window.ts), some 20–30, so there is no need to observe which spans are visible (an
 * IntersectionObserver over 2 000 rows' spans cost more per frame than it saved).
 */
import { memo, useLayoutEffect, useRef } from 'react';
import type { ReactNode, RefObject } from 'react';
import { countdown, duration } from '../describe';
import { onTick, serverNow } from './server-clock';

function useTickingText(text: (now: number) => string): RefObject<HTMLSpanElement | null> {
  const ref = useRef<HTMLSpanElement>(null);
  const latest = useRef(text);
  useLayoutEffect(() => {
    latest.current = text;
    if (ref.current) ref.current.textContent = text(serverNow());
  });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const write = (now = serverNow()): void => {
      const next = latest.current(now);
      if (el.textContent !== next) el.textContent = next;
    };
    return onTick(write);
  }, []);
  return ref;
}

/** How long since `at`: "3 min 05 s". */
export const Since = memo(function Since({ at, testId }: { at: number; testId?: string }): ReactNode {
  const ref = useTickingText((now) => duration(now - at));
  return <span ref={ref} data-testid={testId} />;
});

/** Time left until `at`: "0:27"; the span carries the instant for tests and tools. */
export const Until = memo(function Until({ at, testId }: { at: number; testId?: string }): ReactNode {
  const ref = useTickingText((now) => countdown(at - now));
  return <span ref={ref} data-testid={testId} data-due-at={at} />;
});
