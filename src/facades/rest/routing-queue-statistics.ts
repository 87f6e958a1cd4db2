/**
 * TaskQueue statistics: `TaskQueues/{WQ}/Statistics`, `/CumulativeStatistics`,
 * `/RealTimeStatistics`, and the list `TaskQueues/Statistics`.
 *
 * Real time, from the store as it is now: the queue's active tasks by status and (waiting ones) by
 * priority, its longest-waiting task, and its workers — *eligible* when they match the queue's
 * TargetWorkers (read with worker attributes only; a clause on task attributes matches no worker
 * here), *available* when eligible and in an available activity, as TaskRouter counts them.
 *
 * Cumulative, over `Minutes` (15 by default) or `StartDate`/`EndDate`, from the workspace's
 * events: each counter counts the events of its kind that happened in the window for a task in
 * this queue; wait durations run from the task's creation (or its entry into this queue) to its
 * acceptance or cancellation, in whole seconds.
 */
import { refuse, type Result } from '../../core/errors.js';
import { evaluate, parseExpression } from '../../core/expressions.js';
import type { Activity, Worker, WorkspaceEvent } from '../../core/resources.js';
import type { Task, TaskQueue } from '../../core/routing-resources.js';
import { MAX_STATISTICS_MINUTES, resolveWindow, type StatisticsWindow } from '../../core/statistics.js';
import { PAGING, pagingOf } from './paging.js';
import { answer, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { date, formParams, text, unsupported, whole, type ParamsOf } from './rest-params.js';
import { answerPage } from './routing-lists.js';
import { isoDate } from './wire.js';

const STATUSES_IN_QUEUE = ['pending', 'reserved', 'assigned', 'wrapping'] as const;
const WAITING: ReadonlySet<string> = new Set(['pending', 'reserved']);

export function realtimeStatistics(queue: TaskQueue, tasks: readonly Task[], workers: readonly Worker[], activities: readonly Activity[], now: number): Record<string, unknown> {
  const inQueue = tasks.filter((t) => t.queueSid === queue.sid && (STATUSES_IN_QUEUE as readonly string[]).includes(t.assignmentStatus));
  const byStatus = Object.fromEntries(STATUSES_IN_QUEUE.map((s) => [s, inQueue.filter((t) => t.assignmentStatus === s).length]));
  const waiting = inQueue.filter((t) => WAITING.has(t.assignmentStatus));
  const byPriority: Record<string, number> = {};
  for (const t of waiting) byPriority[String(t.priority)] = (byPriority[String(t.priority)] ?? 0) + 1;
  const oldest = (key: (t: Task) => number): Task | undefined => waiting.reduce<Task | undefined>((best, t) => (best === undefined || key(t) < key(best) ? t : best), undefined);
  const longest = oldest((t) => t.createdAt);
  const longestInQueue = oldest((t) => t.targetSince);
  const parsed = parseExpression(queue.targetWorkers);
  const eligible = workers.filter((w) => parsed.ok && evaluate(parsed.value, { worker: attributesOf(w), defaultScope: 'worker' }));
  const seconds = (since: number | undefined): number => (since === undefined ? 0 : Math.max(0, Math.floor((now - since) / 1000)));
  return {
    activity_statistics: activities.map((a) => ({ sid: a.sid, friendly_name: a.friendlyName, workers: eligible.filter((w) => w.activitySid === a.sid).length })),
    longest_task_waiting_age: seconds(longest?.createdAt),
    longest_task_waiting_sid: longest?.sid ?? null,
    longest_relative_task_age_in_queue: seconds(longestInQueue?.targetSince),
    longest_relative_task_sid_in_queue: longestInQueue?.sid ?? null,
    tasks_by_priority: byPriority,
    tasks_by_status: byStatus,
    total_available_workers: eligible.filter((w) => w.available).length,
    total_eligible_workers: eligible.length,
    total_tasks: inQueue.length,
  };
}

function attributesOf(w: Worker): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(w.attributes);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

interface Durations { avg: number; min: number; max: number; total: number }

function durations(values: readonly number[]): Durations {
  if (values.length === 0) return { avg: 0, min: 0, max: 0, total: 0 };
  const total = values.reduce((a, b) => a + b, 0);
  return { avg: Math.round(total / values.length), min: Math.round(Math.min(...values)), max: Math.round(Math.max(...values)), total: Math.round(total) };
}

const COUNTED: Readonly<Record<string, string>> = {
  'reservation.created': 'reservations_created',
  'reservation.accepted': 'reservations_accepted',
  'reservation.rejected': 'reservations_rejected',
  'reservation.timeout': 'reservations_timed_out',
  'reservation.canceled': 'reservations_canceled',
  'reservation.rescinded': 'reservations_rescinded',
  'task.canceled': 'tasks_canceled',
  'task.completed': 'tasks_completed',
  'task.deleted': 'tasks_deleted',
};

/** The events cumulative statistics read: tasks entering and moving between queues, and the counted ones. */
const CUMULATIVE_INPUTS: readonly string[] = ['task.created', 'task-queue.entered', 'task-queue.moved', ...Object.keys(COUNTED)];

/** Cumulative statistics of one queue over `window`, from the workspace's events (oldest first). */
export function cumulativeStatistics(queueSid: string, events: readonly WorkspaceEvent[], window: StatisticsWindow): Record<string, unknown> {
  const counts: Record<string, number> = Object.fromEntries([...Object.values(COUNTED), 'tasks_entered', 'tasks_moved'].map((k) => [k, 0]));
  const createdAt = new Map<string, number>();
  const queueOf = new Map<string, string | null>();
  const enteredAt = new Map<string, number>();
  const untilAccepted: number[] = [];
  const inQueueUntilAccepted: number[] = [];
  const untilCanceled: number[] = [];
  for (const e of events) {
    const task = e.data.task_sid;
    if (!task) continue;
    const inWindow = e.at >= window.startAt && e.at < window.endAt;
    const queue = e.data.task_queue_sid ?? null;
    if (e.eventType === 'task.created') createdAt.set(task, e.at);
    if (e.eventType === 'task-queue.entered' || e.eventType === 'task-queue.moved') {
      const from = queueOf.get(task) ?? null;
      if (queue !== from) {
        if (from === queueSid && inWindow) counts.tasks_moved = (counts.tasks_moved ?? 0) + 1;
        if (queue === queueSid) {
          enteredAt.set(task, e.at);
          if (inWindow) counts.tasks_entered = (counts.tasks_entered ?? 0) + 1;
        }
      }
      queueOf.set(task, queue);
    }
    if (queue !== queueSid || !inWindow) continue;
    const counter = COUNTED[e.eventType];
    if (counter) counts[counter] = (counts[counter] ?? 0) + 1;
    const since = createdAt.get(task);
    if (e.eventType === 'reservation.accepted') {
      if (since !== undefined) untilAccepted.push((e.at - since) / 1000);
      const entered = enteredAt.get(task);
      if (entered !== undefined) inQueueUntilAccepted.push((e.at - entered) / 1000);
    }
    if (e.eventType === 'task.canceled' && since !== undefined) untilCanceled.push((e.at - since) / 1000);
  }
  const accepted = durations(untilAccepted);
  return {
    start_time: isoDate(window.startAt),
    end_time: isoDate(window.endAt),
    avg_task_acceptance_time: accepted.avg,
    ...counts,
    split_by_wait_time: null,
    wait_duration_until_accepted: accepted,
    wait_duration_until_canceled: durations(untilCanceled),
    wait_duration_in_queue_until_accepted: durations(inQueueUntilAccepted),
  };
}

const ALL_CHANNELS = unsupported('queue statistics cover every task channel together');
const WINDOW = {
  TaskChannel: ALL_CHANNELS, SplitByWaitTime: unsupported('wait times are reported as avg, min, max and total'),
  Minutes: whole(1, MAX_STATISTICS_MINUTES, { description: 'The window is the last Minutes (15 without StartDate)' }), StartDate: date(), EndDate: date(),
};

/** The window the parameters ask for; the rules across Minutes, StartDate and EndDate are the core's. */
function windowOf(q: ParamsOf<typeof WINDOW>, now: number): Result<StatisticsWindow> {
  const { Minutes: minutes, StartDate: startAt, EndDate: endAt } = q;
  return resolveWindow({ ...(minutes !== undefined ? { minutes } : {}), ...(startAt !== undefined ? { startAt } : {}), ...(endAt !== undefined ? { endAt } : {}) }, now);
}

type Part = 'both' | 'cumulative' | 'realtime';

/** Everything one queue's (or every queue's) statistics read, fetched once. */
async function statisticsOf(deps: RestDeps, workspaceSid: string, queues: readonly TaskQueue[], window: StatisticsWindow | null, part: Part) {
  const now = deps.clock.now();
  const [tasks, workers, activities, events] = await Promise.all([
    part === 'cumulative' ? [] : deps.routingStore.listTasks(workspaceSid, { assignmentStatus: STATUSES_IN_QUEUE }),
    part === 'cumulative' ? [] : deps.store.listWorkers(workspaceSid),
    part === 'cumulative' ? [] : deps.store.listActivities(workspaceSid),
    part === 'realtime' || window === null ? [] : deps.store.events(workspaceSid, { endAt: window.endAt, eventTypes: CUMULATIVE_INPUTS }),
  ]);
  return queues.map((q) => ({
    queue: q,
    ...(part !== 'cumulative' ? { realtime: realtimeStatistics(q, tasks, workers, activities, now) } : {}),
    ...(part !== 'realtime' && window !== null ? { cumulative: cumulativeStatistics(q.sid, events, window) } : {}),
  }));
}

const WINDOW_QUERY = { querystring: formParams(WINDOW) };
const REALTIME_QUERY = { querystring: formParams({ TaskChannel: ALL_CHANNELS }) };
/** The real-time part reads no window: its query has none of the window's parameters. */
type StatisticsCall = RestCall<typeof REALTIME_QUERY> & { readonly query: ParamsOf<typeof WINDOW> };

function queueStatistics(part: Part) {
  return async (call: StatisticsCall, deps: RestDeps): Promise<Result<RestAnswer>> => {
    const workspace = await workspaceOf(call, deps);
    if (!workspace.ok) return workspace;
    const window = part === 'realtime' ? null : windowOf(call.query, deps.clock.now());
    if (window && !window.ok) return window;
    const sid = call.path.taskQueueSid ?? '';
    const queue = await deps.routingStore.findTaskQueue(workspace.value.sid, sid);
    if (!queue) return refuse('not-found', `TaskQueue ${sid} was not found`);
    const [stats] = await statisticsOf(deps, workspace.value.sid, [queue], window?.value ?? null, part);
    const head = { account_sid: workspace.value.accountSid, workspace_sid: workspace.value.sid, task_queue_sid: queue.sid, url: call.url };
    if (part === 'both') return answer({ ...head, cumulative: stats?.cumulative, realtime: stats?.realtime });
    return answer({ ...head, ...(part === 'cumulative' ? stats?.cumulative : stats?.realtime) });
  };
}

const LIST_QUERY = { querystring: formParams({ FriendlyName: text(), ...WINDOW, ...PAGING }) };

async function listQueueStatistics(call: RestCall<typeof LIST_QUERY>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const friendlyName = call.query.FriendlyName;
  const window = windowOf(call.query, deps.clock.now());
  if (!window.ok) return window;
  const paging = pagingOf(call.query);
  const queues = (await deps.routingStore.listTaskQueues(workspace.value.sid)).filter((q) => friendlyName === undefined || q.friendlyName === friendlyName);
  const stats = await statisticsOf(deps, workspace.value.sid, queues, window.value, 'both');
  return answerPage(call, 'task_queues_statistics', stats, paging, (s) => ({
    account_sid: workspace.value.accountSid, workspace_sid: workspace.value.sid, task_queue_sid: s.queue.sid, cumulative: s.cumulative, realtime: s.realtime,
  }));
}

const QUEUES = '/Workspaces/:workspaceSid/TaskQueues';

export const ROUTING_QUEUE_STATISTICS_ROUTES: readonly RestRoute[] = [
  route('GET', `${QUEUES}/Statistics`, LIST_QUERY, listQueueStatistics),
  route('GET', `${QUEUES}/:taskQueueSid/Statistics`, WINDOW_QUERY, queueStatistics('both')),
  route('GET', `${QUEUES}/:taskQueueSid/CumulativeStatistics`, WINDOW_QUERY, queueStatistics('cumulative')),
  route('GET', `${QUEUES}/:taskQueueSid/RealTimeStatistics`, REALTIME_QUERY, queueStatistics('realtime')),
];
