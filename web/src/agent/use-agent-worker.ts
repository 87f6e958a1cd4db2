/**
 * The agent's Worker (the official twilio-taskrouter SDK) for as long as the desktop is open.
 * React reads the SDK's own objects (worker.activity, worker.reservations) on render; every SDK
 * event bumps `revision` so the screen follows them.
 */
import { useEffect, useState } from 'react';
import { Worker } from 'twilio-taskrouter';
import type { Reservation } from 'twilio-taskrouter';
import { ApiError, messageOf } from '../api';
import type { AgentToken } from '../contract';
import { exchangeLink, fetchToken, readEntry } from './agent-session';

export type AgentPhase = 'starting' | 'running' | 'signed-out' | 'failed';
export type AgentConnection = 'connecting' | 'connected' | 'reconnecting';

export interface AgentState {
  phase: AgentPhase;
  problem: string | null;
  connection: AgentConnection;
  lastError: string | null;
  token: AgentToken | null;
  asAdmin: boolean;
  worker: Worker | null;
  /** Bumped on every SDK event: the SDK mutates its objects in place. */
  revision: number;
  /** Bumped when the worker's activity may have changed (ready, activityUpdated). */
  activityRevision: number;
}

const INITIAL: AgentState = {
  phase: 'starting', problem: null, connection: 'connecting', lastError: null, token: null, asAdmin: false, worker: null,
  revision: 0, activityRevision: 0,
};

const RESERVATION_EVENTS = ['accepted', 'rejected', 'timeout', 'canceled', 'rescinded', 'wrapup', 'completed'] as const;
const TASK_EVENTS = ['updated', 'wrapup', 'completed', 'canceled'] as const;

export function useAgentWorker(): AgentState {
  const [state, setState] = useState<AgentState>(INITIAL);

  useEffect(() => {
    let stopped = false;
    let worker: Worker | null = null;
    const watched = new WeakSet<Reservation>();
    const update = (change: Partial<AgentState> | ((s: AgentState) => Partial<AgentState>)): void => {
      if (stopped) return;
      setState((s) => ({ ...s, ...(typeof change === 'function' ? change(s) : change), revision: s.revision + 1 }));
    };
    const touch = (): void => update({});
    const watch = (reservation: Reservation): void => {
      if (watched.has(reservation)) return;
      watched.add(reservation);
      for (const name of RESERVATION_EVENTS) reservation.on(name, touch);
      for (const name of TASK_EVENTS) reservation.task?.on(name, touch);
    };

    void (async () => {
      const entry = readEntry();
      if (entry.link) {
        try {
          await exchangeLink(entry.link);
        } catch (e) {
          const used = e instanceof ApiError && e.status === 401;
          update({ phase: used ? 'signed-out' : 'failed', problem: messageOf(e) });
          return;
        }
      }
      const first = await fetchToken(entry);
      if (stopped) return;
      if (!first.ok) {
        // Signed out with no link: the desktop's own explanation says more than "session ended".
        update({ phase: first.signedOut ? 'signed-out' : 'failed', problem: first.signedOut ? null : first.message });
        return;
      }
      const t = first.token;
      worker = new Worker(t.token, { ebServer: t.eb_server, wsServer: t.ws_server, closeExistingSessions: false, logLevel: 'error' });
      update({ phase: 'running', token: t, asAdmin: entry.workerSid !== null, worker });

      worker.on('ready', (w: Worker) => {
        for (const r of w.reservations.values()) watch(r);
        update((s) => ({ connection: 'connected', lastError: null, activityRevision: s.activityRevision + 1 }));
      });
      worker.on('disconnected', () => update({ connection: 'reconnecting' }));
      worker.on('error', (error: Error) => update({ lastError: error.message }));
      worker.on('activityUpdated', () => update((s) => ({ activityRevision: s.activityRevision + 1 })));
      worker.on('attributesUpdated', touch);
      worker.on('reservationCreated', (r: Reservation) => {
        watch(r);
        touch();
      });
      worker.on('reservationFailed', touch);
      // The SDK says this a few seconds before the token runs out, and reconnects only with a fresh one.
      worker.on('tokenExpired', () => {
        void fetchToken(entry, true).then((next) => {
          if (stopped || !worker) return;
          if (next.ok) {
            worker.updateToken(next.token.token);
            update({ token: next.token });
          } else {
            update({ phase: next.signedOut ? 'signed-out' : 'running', lastError: next.message });
          }
        });
      });
    })();

    return () => {
      stopped = true;
      worker?.removeAllListeners();
      worker?.disconnect();
    };
  }, []);

  return state;
}
