/**
 * A Rollcall extension: `GET /v1/Workspaces/{WS}/CallbackDeliveries`, how each owed callback
 * (workspace event callbacks, workflow assignment callbacks) was delivered, oldest first, in
 * Twilio's list envelope. Filters: `Status` (`pending`, `delivered`, `failed`), `Kind`
 * (`event`, `assignment`). TaskRouter has no such resource; docs/rest.md describes it.
 */
import type { Result } from '../../core/errors.js';
import type { CallbackDelivery } from '../../service/callback-ports.js';
import { PAGING, pageArray, pageEnvelope, pagingOf } from './paging.js';
import { answer, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { formParams, oneOf } from './rest-params.js';
import { isoDate } from './wire.js';

/** The most recent deliveries a list walks (the outbox keeps every row). */
const LIST_WINDOW = 10_000;

const at = (ms: number | null): string | null => (ms === null ? null : isoDate(ms));

function restDelivery(d: CallbackDelivery): Record<string, unknown> {
  return {
    id: d.id, kind: d.kind, status: d.status, event_sid: d.eventSid, event_type: d.eventType, reservation_sid: d.reservationSid,
    url: d.url, fallback_url: d.fallbackUrl, attempts: d.attempts, last_url: d.lastUrl, last_http_status: d.lastHttpStatus, last_error: d.lastError,
    answer: d.answer, date_created: isoDate(d.createdAt), date_last_attempt: at(d.lastAttemptAt),
    date_next_attempt: d.status === 'pending' ? at(d.nextAttemptAt) : null,
  };
}

const LIST_DELIVERIES = {
  querystring: formParams({
    Status: oneOf(['pending', 'delivered', 'failed'], (name, value) => `${name} ${value} is not valid: use pending, delivered or failed`),
    Kind: oneOf(['event', 'assignment'], (name, value) => `${name} ${value} is not valid: use event or assignment`),
    ...PAGING,
  }),
};

async function listDeliveries(call: RestCall<typeof LIST_DELIVERIES>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const { Status: status, Kind: kind } = call.query;
  const paging = pagingOf(call.query);
  const all = (await deps.callbacks.listCallbackDeliveries(workspace.value.sid, { limit: LIST_WINDOW }))
    .filter((d) => (status === undefined || d.status === status) && (kind === undefined || d.kind === kind));
  const page = pageArray(all, paging.request);
  if (!page.ok) return page;
  return answer(pageEnvelope('callback_deliveries', page.value.items.map(restDelivery), page.value, paging, { url: call.url, query: call.rawQuery }));
}

export const CALLBACK_ROUTES: readonly RestRoute[] = [
  route('GET', '/Workspaces/:workspaceSid/CallbackDeliveries', LIST_DELIVERIES, listDeliveries),
];
