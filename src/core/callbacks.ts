/**
 * Callbacks, the pure part: which events a workspace's EventCallbackUrl receives, the form
 * parameters Twilio posts (event and assignment callbacks), when a failed delivery is tried again,
 * and what an assignment callback's answer asks for. Signing and sending live in the service.
 */
import type { WorkspaceEvent } from './resources.js';

export type CallbackKind = 'event' | 'assignment';
export type CallbackParams = Readonly<Record<string, string>>;

/** True when `filter` (comma-separated types, or null for all) lets `eventType` through. */
export function passesEventsFilter(filter: string | null, eventType: string): boolean {
  if (filter === null || filter.trim() === '') return true;
  return filter.split(',').some((t) => t.trim() === eventType);
}

const pascal = (snake: string): string => snake.split('_').map((w) => (w === '' ? '' : w[0]?.toUpperCase() + w.slice(1))).join('');

/**
 * Twilio's event callback parameters: the common ones, then the event's `event_data` fields in
 * PascalCase (`worker_activity_sid` → `WorkerActivitySid`). Null values are left out, as a form
 * has no null.
 */
export function eventCallbackParams(event: WorkspaceEvent): CallbackParams {
  const params: Record<string, string> = {
    Sid: event.sid,
    EventType: event.eventType,
    AccountSid: event.accountSid,
    WorkspaceSid: event.workspaceSid,
    EventDescription: event.description,
    ResourceType: event.resourceType,
    ResourceSid: event.resourceSid,
    Timestamp: String(Math.floor(event.at / 1000)),
    TimestampMs: String(event.at),
  };
  for (const [key, value] of Object.entries(event.data)) if (value !== null) params[pascal(key)] = value;
  if (event.cause !== null) params.Cause = event.cause;
  return params;
}

export interface AssignmentFacts {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly workflowSid: string;
  readonly taskQueueSid: string | null;
  readonly workerSid: string;
  readonly taskSid: string;
  readonly reservationSid: string;
  readonly taskAttributes: string;
  readonly workerAttributes: string;
  readonly taskAgeS: number;
  readonly taskPriority: number;
}

/** Twilio's assignment callback parameters for a new reservation. */
export function assignmentCallbackParams(f: AssignmentFacts): CallbackParams {
  const params: Record<string, string> = {
    AccountSid: f.accountSid, WorkspaceSid: f.workspaceSid, WorkflowSid: f.workflowSid, WorkerSid: f.workerSid, TaskSid: f.taskSid,
    ReservationSid: f.reservationSid, TaskAttributes: f.taskAttributes, WorkerAttributes: f.workerAttributes,
    TaskAge: String(Math.max(0, Math.floor(f.taskAgeS))), TaskPriority: String(f.taskPriority),
  };
  if (f.taskQueueSid !== null) params.TaskQueueSid = f.taskQueueSid;
  return params;
}

/** Attempts before a delivery is given up (`failed`); the first is immediate. */
export const MAX_CALLBACK_ATTEMPTS = 6;
const MAX_RETRY_DELAY_MS = 10 * 60_000;

/** The wait before attempt `attempt + 1` after `attempt` failed attempts: base × 2^(attempt−1), capped at 10 min. */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** What an assignment callback's 2xx answer asks for. */
export type AssignmentAnswer =
  | { readonly kind: 'accept' }
  | { readonly kind: 'reject' }
  /** An empty (or instruction-less) answer: the reservation waits for the worker or the API. */
  | { readonly kind: 'wait' }
  | { readonly kind: 'unsupported'; readonly reason: string };

/** Reads the body of a 2xx answer to an assignment callback (JSON, as TaskRouter expects it). */
export function readAssignmentAnswer(body: string): AssignmentAnswer {
  if (body.trim() === '') return { kind: 'wait' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'unsupported', reason: 'the answer is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'unsupported', reason: 'the answer is not a JSON object' };
  const instruction = (parsed as Record<string, unknown>).instruction;
  if (instruction === undefined) return { kind: 'wait' };
  if (instruction === 'accept') return { kind: 'accept' };
  if (instruction === 'reject') return { kind: 'reject' };
  return { kind: 'unsupported', reason: `instruction ${JSON.stringify(instruction)} is not supported (only accept and reject; voice instructions are a non-goal)` };
}
