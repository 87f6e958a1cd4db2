/** A report loaded for the filters last applied; the form edits a draft until it is submitted. */
import { useRef, useState } from 'react';
import { useResource, type Resource } from '../shell/use-resource';

export function useReport<F, T>(initial: F, load: (filters: F) => Promise<T>): {
  draft: F; setDraft: (f: F) => void; applied: F; apply: () => void; data: Resource<T>;
} {
  const [draft, setDraft] = useState(initial);
  const [applied, setApplied] = useState(initial);
  const current = useRef(initial);
  const data = useResource(() => load(current.current));
  const apply = () => {
    current.current = draft;
    setApplied(draft);
    void data.reload();
  };
  return { draft, setDraft, applied, apply, data };
}

/** A worker SID is kept only when one is chosen. */
export function withoutEmpty<T extends object>(filters: T): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, typeof v === 'string' && v !== '' ? v : typeof v === 'boolean' ? (v ? 'true' : undefined) : undefined]));
}
