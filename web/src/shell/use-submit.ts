/** The state of one write from a form: busy while it runs, the refusal when it fails. */
import { useCallback, useState } from 'react';
import { ApiError, fieldError, messageOf } from '../api';

export interface Submit {
  busy: boolean;
  error: unknown;
  run: (work: () => Promise<void>) => Promise<void>;
  clear: () => void;
}

export function useSubmit(): Submit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (work: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      // A 401 has already sent the user to sign-in with the draft stashed; nothing to show here.
      if (!(e instanceof ApiError && e.status === 401)) setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}

/** The refusal's message when it does not belong under one of `fields` (shown in an Alert instead). */
export function formError(error: unknown, ...fields: string[]): string | null {
  if (!error) return null;
  return fields.some((f) => fieldError(error, f)) ? null : messageOf(error);
}
