/**
 * How instants, durations, causes and evidence read in the console. One place, so the Teams
 * view, the change feed and the agent's banner say the same thing the same way.
 */
import type { AutomaticChange, DisconnectReason, Evidence } from './contract';

const REASONS: Record<DisconnectReason, string> = {
  closed: 'tab or browser closed',
  'heartbeat-lost': 'network connection lost',
  'server-restart': 'server restarted',
  'node-lost': 'server node lost',
};

export function reasonWords(reason: string): string {
  return REASONS[reason as DisconnectReason] ?? reason;
}

const CAUSES: Record<string, string> = {
  agent: 'by the agent',
  admin: 'by an admin',
  api: 'through the API',
  'offline-threshold': 'automatic logout',
  'reservation-timeout': 'offer timed out',
};

export function causeWords(cause: string | null): string {
  if (!cause) return '';
  return CAUSES[cause] ?? cause;
}

// 24-hour clock: the evidence reads like a log line ("at 10:42:05").
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23' });

export const clockTime = (at: number): string => clock.format(at);
export const dateAndTime = (at: number): string => dateTime.format(at);

const pad = (n: number): string => String(n).padStart(2, '0');

/** A span in words, coarse enough to read at a glance: "45 s", "3 min 05 s", "2 h 07 min", "3 d 4 h". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${pad(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${pad(m % 60)} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A threshold as configured: whole seconds under two minutes, otherwise the coarser units. */
export function thresholdWords(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120 || s % 60 !== 0) return `${s} s`;
  const m = s / 60;
  if (m < 120 || m % 60 !== 0) return `${m} min`;
  return `${m / 60} h`;
}

/** Time left, as a countdown reads: "0:27", "4:05", "1:02:03". Never negative. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** "after 30 s disconnected: tab or browser closed" — the evidence of an automatic change. */
export function evidenceWords(evidence: Evidence): string {
  const held = evidence.outage_hold ? `, postponed by an outage hold from ${clockTime(evidence.outage_hold.ordinary_due_at)}` : '';
  return `after ${thresholdWords(evidence.threshold_ms)} disconnected: ${reasonWords(evidence.reason)}${held}`;
}

/** "Set to Offline at 10:42:05 after 30 s disconnected: network connection lost". */
export function automaticChangeWords(change: Pick<AutomaticChange, 'to_activity_name' | 'effective_at' | 'evidence' | 'cause'>): string {
  const head = `Set to ${change.to_activity_name} at ${clockTime(change.effective_at)}`;
  if (change.evidence) return `${head} ${evidenceWords(change.evidence)}`;
  return `${head} (${causeWords(change.cause)})`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The connection state in a sentence that does not tick (the Workers page). */
export function connectionWords(row: { connections: number; disconnected: { last_seen_at: number; reason: string } | null }): string {
  if (row.connections > 0) return `Connected on ${plural(row.connections, 'session')}`;
  if (row.disconnected) return `Disconnected since ${clockTime(row.disconnected.last_seen_at)}: ${reasonWords(row.disconnected.reason)}`;
  return 'Not connected';
}
