/**
 * How the agent desktop gets a Worker token: a one-time `?link=` is exchanged for the agent's
 * session cookie (and removed from the address bar, so a reload or a shared screenshot does not
 * reuse it); an admin opening `?worker=WK…` uses the admin session instead.
 */
import { api, ApiError, expireSession } from '../api';
import { navigate, signInPath } from '../shell/router';
import type { AgentToken } from '../contract';

export interface AgentEntry {
  link: string | null;
  /** Set when an admin opens the desktop as a worker. */
  workerSid: string | null;
}

export function readEntry(): AgentEntry {
  const params = new URLSearchParams(window.location.search);
  return { link: params.get('link'), workerSid: params.get('worker') };
}

function forgetLink(): void {
  const url = new URL(window.location.href);
  url.searchParams.delete('link');
  window.history.replaceState(null, '', url.pathname + url.search);
}

// A link works once: one exchange per link even if the page starts twice (React's StrictMode).
const exchanges = new Map<string, Promise<unknown>>();

export async function exchangeLink(link: string): Promise<void> {
  let exchange = exchanges.get(link);
  if (!exchange) {
    exchange = api.agent.startSession(link);
    exchanges.set(link, exchange);
  }
  await exchange;
  forgetLink();
}

export type TokenResult = { ok: true; token: AgentToken } | { ok: false; signedOut: boolean; message: string };

/**
 * A Worker token for the desktop. An admin without a session goes through sign-in and comes back
 * (told their session expired only when it ran out under a running desktop); an agent has no
 * sign-in page, so the desktop explains instead.
 */
export async function fetchToken(entry: AgentEntry, refresh = false): Promise<TokenResult> {
  try {
    return { ok: true, token: await api.agent.token(entry.workerSid, false) };
  } catch (e) {
    const signedOut = e instanceof ApiError && e.status === 401;
    if (signedOut && entry.workerSid !== null) {
      if (refresh) expireSession();
      else navigate(signInPath(window.location.pathname + window.location.search), { replace: true });
    }
    return { ok: false, signedOut, message: e instanceof Error ? e.message : 'Could not get a token.' };
  }
}
