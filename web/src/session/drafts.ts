/**
 * Unsaved input survives a session expiry: when an API call answers 401, every mounted form's
 * draft is written to sessionStorage before the redirect to sign-in, and the same form takes it
 * back when it mounts again after sign-in. sessionStorage keeps it to this tab and drops it when
 * the tab closes.
 */
import { useEffect, useRef, useState } from 'react';
import type { Dispatch, SetStateAction } from 'react';

const PREFIX = 'rollcall.draft.';
const mounted = new Map<string, () => unknown>();

/** Writes every mounted form's draft; `undefined` or `null` drafts (nothing edited) are skipped. */
export function stashDrafts(): void {
  for (const [key, read] of mounted) {
    const value = read();
    if (value === undefined || value === null) continue;
    try {
      window.sessionStorage.setItem(PREFIX + key, JSON.stringify(value));
    } catch {
      // Storage full or disabled: the draft is lost, the redirect still happens.
    }
  }
}

function takeStash<T>(key: string): T | undefined {
  try {
    const raw = window.sessionStorage.getItem(PREFIX + key);
    if (raw === null) return undefined;
    window.sessionStorage.removeItem(PREFIX + key);
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/**
 * `useState` whose value is stashed on session expiry and restored on the next mount.
 * The third element says whether this mount restored a stash (to tell the user).
 */
export function useStashedState<T>(key: string, initial: T): [T, Dispatch<SetStateAction<T>>, boolean] {
  const [restored] = useState(() => takeStash<T>(key));
  const [value, setValue] = useState<T>(() => (restored === undefined ? initial : restored));
  const latest = useRef(value);
  useEffect(() => {
    latest.current = value;
  });
  useEffect(() => {
    mounted.set(key, () => latest.current);
    return () => {
      mounted.delete(key);
    };
  }, [key]);
  return [value, setValue, restored !== undefined];
}
