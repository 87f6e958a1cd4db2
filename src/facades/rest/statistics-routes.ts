/**
 * Worker statistics: `Workers/{WK}/Statistics`, `Workers/Statistics`, `Workers/CumulativeStatistics`
 * and `Workers/RealTimeStatistics`. Durations come from the activity log over `Minutes` (15 by
 * default) or `StartDate`/`EndDate`; reservation counters from the reservations created then.
 */
import type { Result } from '../../core/errors.js';
import { MAX_STATISTICS_MINUTES, type WindowQuery } from '../../core/statistics.js';
import type { CumulativeStatistics, RealTimeStatistics, WorkerScope } from '../../service/statistics-service.js';
import { ParamReader } from './params.js';
import { answer, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { isoDate } from './wire.js';

function readWindow(p: ParamReader): WindowQuery {
  p.unsupported('TaskChannel', 'statistics cover every task channel together');
  const minutes = p.integer('Minutes', 1, MAX_STATISTICS_MINUTES);
  const startAt = p.date('StartDate');
  const endAt = p.date('EndDate');
  return { ...(minutes !== undefined ? { minutes } : {}), ...(startAt !== undefined ? { startAt } : {}), ...(endAt !== undefined ? { endAt } : {}) };
}

function cumulative(stats: CumulativeStatistics): Record<string, unknown> {
  return {
    start_time: isoDate(stats.window.startAt),
    end_time: isoDate(stats.window.endAt),
    reservations_created: stats.reservations.created,
    reservations_accepted: stats.reservations.accepted,
    reservations_rejected: stats.reservations.rejected,
    reservations_timed_out: stats.reservations.timedOut,
    reservations_canceled: stats.reservations.canceled,
    reservations_rescinded: stats.reservations.rescinded,
    activity_durations: stats.durations.map((d) => ({ sid: d.sid, friendly_name: d.friendlyName, avg: d.avgS, min: d.minS, max: d.maxS, total: d.totalS })),
  };
}

function realtime(stats: RealTimeStatistics): Record<string, unknown> {
  return {
    total_workers: stats.totalWorkers,
    activity_statistics: stats.activities.map((a) => ({ sid: a.sid, friendly_name: a.friendlyName, workers: a.workers })),
  };
}

async function workerStatistics(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const window = readWindow(p);
  if (p.refusal) return p.refusal;
  const workerSid = call.path.workerSid ?? '';
  const stats = await deps.statistics.cumulative(workspace.value.sid, { workerSid }, window);
  if (!stats.ok) return stats;
  return answer({ account_sid: workspace.value.accountSid, workspace_sid: workspace.value.sid, worker_sid: workerSid, url: call.url, cumulative: cumulative(stats.value) });
}

/** The workspace-wide scope: every worker, or the one `FriendlyName` names. */
function readScope(p: ParamReader): WorkerScope {
  p.unsupported('TaskQueueSid', 'statistics cover all workers or one FriendlyName');
  p.unsupported('TaskQueueName', 'statistics cover all workers or one FriendlyName');
  const friendlyName = p.string('FriendlyName');
  return friendlyName === undefined ? { all: true } : { friendlyName };
}

async function workersStatistics(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const scope = readScope(p);
  const window = readWindow(p);
  if (p.refusal) return p.refusal;
  const [cumulativeStats, realtimeStats] = await Promise.all([
    deps.statistics.cumulative(workspace.value.sid, scope, window),
    deps.statistics.realTime(workspace.value.sid, scope),
  ]);
  if (!cumulativeStats.ok) return cumulativeStats;
  if (!realtimeStats.ok) return realtimeStats;
  return answer({
    account_sid: workspace.value.accountSid, workspace_sid: workspace.value.sid, url: call.url,
    cumulative: cumulative(cumulativeStats.value), realtime: realtime(realtimeStats.value),
  });
}

async function workersCumulativeStatistics(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const window = readWindow(p);
  if (p.refusal) return p.refusal;
  const stats = await deps.statistics.cumulative(workspace.value.sid, { all: true }, window);
  if (!stats.ok) return stats;
  return answer({ account_sid: workspace.value.accountSid, workspace_sid: workspace.value.sid, url: call.url, ...cumulative(stats.value) });
}

async function workersRealTimeStatistics(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  p.unsupported('TaskChannel', 'statistics cover every task channel together');
  if (p.refusal) return p.refusal;
  const stats = await deps.statistics.realTime(workspace.value.sid, { all: true });
  if (!stats.ok) return stats;
  return answer({ account_sid: workspace.value.accountSid, workspace_sid: workspace.value.sid, url: call.url, ...realtime(stats.value) });
}

export const STATISTICS_ROUTES: readonly RestRoute[] = [
  { method: 'GET', url: '/Workspaces/:workspaceSid/Workers/Statistics', handler: workersStatistics },
  { method: 'GET', url: '/Workspaces/:workspaceSid/Workers/CumulativeStatistics', handler: workersCumulativeStatistics },
  { method: 'GET', url: '/Workspaces/:workspaceSid/Workers/RealTimeStatistics', handler: workersRealTimeStatistics },
  { method: 'GET', url: '/Workspaces/:workspaceSid/Workers/:workerSid/Statistics', handler: workerStatistics },
];
