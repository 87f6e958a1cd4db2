/**
 * Who is signed in to the admin console. The shell asks once when it mounts; a 401 sends the
 * user to sign-in with the page they wanted, and any later 401 is handled by api.ts.
 */
import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { api, ApiError } from '../api';
import type { Session } from '../contract';
import { BASE, navigate, signInPath } from '../shell/router';

interface SessionState {
  session: Session | null;
  error: unknown;
  retry: () => void;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }): ReactNode {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    api.session.get().then(
      (s) => {
        if (live) setSession(s);
      },
      (e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 401) {
          navigate(signInPath(window.location.pathname + window.location.search), { replace: true });
        } else {
          setError(e);
        }
      },
    );
    return () => {
      live = false;
    };
  }, [attempt]);

  const retry = useCallback(() => {
    setError(null);
    setAttempt((n) => n + 1);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.session.signOut();
    } finally {
      navigate(`${BASE}/sign-in`, { replace: true });
    }
  }, []);

  return <SessionContext.Provider value={{ session, error, retry, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}
