/**
 * Text that changes every second without re-rendering React: the shared tick writes the span's
 * text directly. The span has no React children, so React never holds a stale text node.
 *
 * Only spans on or near the screen are written: with 2 000 rows, writing every span each second
 * cost a long task per tick (measured by bench/console-bench.ts). One IntersectionObserver tells
 * which are in view; a span coming into view is written at once, so it is never stale when seen.
 */
import { memo, useLayoutEffect, useRef } from 'react';
import type { ReactNode, RefObject } from 'react';
import { countdown, duration } from '../describe';
import { onTick, serverNow } from './server-clock';

const inView = new WeakSet<Element>();
const writers = new WeakMap<Element, () => void>();
let observer: IntersectionObserver | null = null;

function watch(el: Element, write: () => void): () => void {
  observer ??= new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        inView.add(entry.target);
        writers.get(entry.target)?.();
      } else inView.delete(entry.target);
    }
  }, { rootMargin: '400px 0px' });
  writers.set(el, write);
  observer.observe(el);
  return () => {
    observer?.unobserve(el);
    writers.delete(el);
    inView.delete(el);
  };
}

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
    const unwatch = watch(el, write);
    const untick = onTick((now) => {
      if (inView.has(el)) write(now);
    });
    return () => {
      unwatch();
      untick();
    };
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
