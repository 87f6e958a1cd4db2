/**
 * One clock for every ticking text on the page: the server's time (the browser's plus the offset
 * measured from the stream's `server_time`), and one timer, aligned to the second, that tells
 * every subscriber at once. No row owns a timer.
 */
let offsetMs = 0;
const subscribers = new Set<(now: number) => void>();
let timer = 0;

export const serverNow = (): number => Date.now() + offsetMs;

export function setClockOffset(ms: number): void {
  offsetMs = ms;
}

function tick(): void {
  const now = serverNow();
  for (const fn of subscribers) fn(now);
  schedule();
}

function schedule(): void {
  if (subscribers.size === 0) {
    timer = 0;
    return;
  }
  timer = window.setTimeout(tick, 1000 - (serverNow() % 1000) + 5);
}

export function onTick(fn: (now: number) => void): () => void {
  subscribers.add(fn);
  if (!timer) schedule();
  return () => {
    subscribers.delete(fn);
    if (subscribers.size === 0) {
      clearTimeout(timer);
      timer = 0;
    }
  };
}
