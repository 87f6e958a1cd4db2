/**
 * Worker statistics: `Workers/{WK}/Statistics`, `Workers/Statistics`, `Workers/CumulativeStatistics`
 * and `Workers/RealTimeStatistics`. Durations come from the activity log over `Minutes` (15 by
 * default) or `StartDate`/`EndDate`; reservation counters from the reservations created then.
 */
import type { Result } from '../../core/errors.js';
import { MAX_STATISTICS_MINUTES, type WindowQuery } from '../../core/statistics.js';
import type { CumulativeStatistics, RealTimeStatistics, WorkerScope } from '../../service/statistics-service.js';
import { answer, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { date, formParams, text, unsupported, whole, type ParamsOf } from './rest-params.js';
import { isoDate } from './wire.js';

const ALL_CHANNELS = unsupported('statistics cover every task channel together');
const WINDOW = { TaskChannel: ALL_CHANNELS, Minutes: whole(1, MAX_STATISTICS_MINUTES, { description: 'The window is the last Minutes (15 without StartDate)' }), StartDate: date(), EndDate: date() };

function windowOf(q: ParamsOf<typeof WINDOW>): WindowQuery {
  const { Minutes: minutes, StartDate: startAt, EndDate: endAt } = q;
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

const WINDOW_QUERY = { querystring: formParams(WINDOW) };

async function workerStatistics(call: RestCall<typeof WINDOW_QUERY>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const window = windowOf(call.query);
  const workerSid = call.path.workerSid ?? '';
  const stats = await deps.statistics.cumulative(workspace.value.sid, { workerSid }, window);
  if (!stats.ok) return stats;
  return answer({ account_sid: workspace.value.accountSid, workspace_sid: workspace.value.sid, worker_sid: workerSid, url: call.url, cumulative: cumulative(stats.value) });
}

const ONE_SCOPE = 'statistics cover all workers or one FriendlyName';
const SCOPED_WINDOW_QUERY = {
  querystring: formParams({ TaskQueueSid: unsupported(ONE_SCOPE), TaskQueueName: unsupported(ONE_SCOPE), FriendlyName: text(), ...WINDOW }),
};

async function workersStatistics(call: RestCall<typeof SCOPED_WINDOW_QUERY>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  // The workspace-wide scope: every worker, or the one `FriendlyName` names.
  const friendlyName = call.query.FriendlyName;
  const scope: WorkerScope = friendlyName === undefined ? { all: true } : { friendlyName };
  const window = windowOf(call.query);
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

async function workersCumulativeStatistics(call: RestCall<typeof WINDOW_QUERY>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const window = windowOf(call.query);
  const stats = await deps.statistics.cumulative(workspace.value.sid, { all: true }, window);
  if (!stats.ok) return stats;
  return answer({ account_sid: workspace.value.accountSid, workspace_sid: workspace.value.sid, url: call.url, ...cumulative(stats.value) });
}

const REALTIME_QUERY = { querystring: formParams({ TaskChannel: ALL_CHANNELS }) };

async function workersRealTimeStatistics(call: RestCall<typeof REALTIME_QUERY>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const stats = await deps.statistics.realTime(workspace.value.sid, { all: true });
  if (!stats.ok) return stats;
  return answer({ account_sid: workspace.value.accountSid, workspace_sid: workspace.value.sid, url: call.url, ...realtime(stats.value) });
}

export const STATISTICS_ROUTES: readonly RestRoute[] = [
  route('GET', '/Workspaces/:workspaceSid/Workers/Statistics', SCOPED_WINDOW_QUERY, workersStatistics),
  route('GET', '/Workspaces/:workspaceSid/Workers/CumulativeStatistics', WINDOW_QUERY, workersCumulativeStatistics),
  route('GET', '/Workspaces/:workspaceSid/Workers/RealTimeStatistics', REALTIME_QUERY, workersRealTimeStatistics),
  route('GET', '/Workspaces/:workspaceSid/Workers/:workerSid/Statistics', WINDOW_QUERY, workerStatistics),
];
