/**
 * Path-based routing under /console/ with the History API. The server answers every
 * /console/* path with index.html, so a reload or a shared link lands on the same page.
 */
import { useSyncExternalStore } from 'react';
import type { MouseEvent } from 'react';

export const BASE = '/console';

const NAVIGATED = 'rollcall:navigated';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATED, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATED, onChange);
  };
}

const currentLocation = (): string => window.location.pathname + window.location.search;

/** The current path and query, re-rendering on every navigation. */
export function useLocation(): string {
  return useSyncExternalStore(subscribe, currentLocation);
}

/** The page part of a location: `/console/workers?x=1` → `/workers`; `/console` → `/`. */
export function pageOf(location: string): string {
  const path = location.split('?')[0] ?? '';
  const rest = path.startsWith(BASE) ? path.slice(BASE.length) : path;
  const trimmed = rest.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === currentLocation()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATED));
}

/**
 * For anchors that stay in the app: a plain click navigates without a reload, while a
 * modified click (new tab, new window) keeps the browser's own behaviour.
 */
export function followLink(event: MouseEvent<HTMLElement>): void {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = event.currentTarget;
  if (!(anchor instanceof HTMLAnchorElement) || (anchor.target && anchor.target !== '_self')) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}

/**
 * Where to go after signing in: only a console path of this origin, so a crafted
 * `next=` cannot send the user elsewhere.
 */
export function safeNext(next: string | null): string | null {
  if (!next || !next.startsWith(`${BASE}/`) || next.startsWith('//')) return null;
  if (next.startsWith(`${BASE}/sign-in`)) return null;
  return next;
}

export function signInPath(next: string, expired = false): string {
  const query = new URLSearchParams({ next });
  if (expired) query.set('expired', '1');
  return `${BASE}/sign-in?${query.toString()}`;
}
