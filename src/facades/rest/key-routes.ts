/**
 * API keys on Twilio's 2010 API, where the `twilio` library sends `client.newKeys.create()`,
 * `client.keys.list()`, `client.keys(SK).fetch()/update()/remove()`:
 * `/2010-04-01/Accounts/{AC}/Keys.json` and `/2010-04-01/Accounts/{AC}/Keys/{SK}.json`. This API
 * pages with relative `*_page_uri` fields and dates in RFC 2822; the secret is shown once.
 */
import { ok, refuse, type Result } from '../../core/errors.js';
import type { ApiKey } from '../../core/resources.js';
import { PAGING, pageArray, pagingOf } from './paging.js';
import { answer, created, deleted, route, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { formParams, text } from './rest-params.js';
import { restKey } from './wire.js';

/** The account in the path must be the caller's own. */
function checkAccount(call: RestCall): Result<string> {
  const sid = call.path.accountSid ?? '';
  return sid === call.principal.accountSid ? ok(sid) : refuse('not-found', `Account ${sid} was not found`);
}

function keySidOf(call: RestCall): string {
  return (call.path.keyFile ?? '').replace(/\.json$/, '');
}

const KEY_NAME = { body: formParams({ FriendlyName: text() }) };

async function createKey(call: RestCall<typeof KEY_NAME>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const account = checkAccount(call);
  if (!account.ok) return account;
  const key = await deps.keys.create(call.principal, call.body.FriendlyName ?? '');
  return key.ok ? created(restKey(key.value, true)) : key;
}

const LIST_KEYS = { querystring: formParams({ ...PAGING }) };

async function listKeys(call: RestCall<typeof LIST_KEYS>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const account = checkAccount(call);
  if (!account.ok) return account;
  const paging = pagingOf(call.query);
  const keys = await deps.keys.list(call.principal);
  if (!keys.ok) return keys;
  const page = pageArray<ApiKey>(keys.value, paging.request);
  if (!page.ok) return page;
  const path = `/2010-04-01/Accounts/${account.value}/Keys.json`;
  const uri = (pageNumber: number, token?: string): string =>
    `${path}?PageSize=${paging.pageSize}&Page=${pageNumber}${token === undefined ? '' : `&PageToken=${token}`}`;
  const start = page.value.firstCursor === null ? 0 : Number(page.value.firstCursor);
  const backward = paging.request.after === undefined && paging.request.before !== undefined;
  const hasNext = backward ? page.value.lastCursor !== null : page.value.more;
  const hasPrevious = backward ? page.value.more : start > 0;
  return answer({
    keys: page.value.items.map((k) => restKey(k, false)),
    start,
    end: start + Math.max(0, page.value.items.length - 1),
    page: paging.page,
    page_size: paging.pageSize,
    uri: uri(paging.page),
    first_page_uri: uri(0),
    previous_page_uri: hasPrevious ? uri(Math.max(0, paging.page - 1), `PB${page.value.firstCursor}`) : null,
    next_page_uri: hasNext ? uri(paging.page + 1, `PA${page.value.lastCursor}`) : null,
  });
}

async function fetchKey(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const account = checkAccount(call);
  if (!account.ok) return account;
  const key = await deps.keys.find(call.principal, keySidOf(call));
  return key.ok ? answer(restKey(key.value, false)) : key;
}

async function updateKey(call: RestCall<typeof KEY_NAME>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const account = checkAccount(call);
  if (!account.ok) return account;
  const friendlyName = call.body.FriendlyName;
  const key = friendlyName === undefined ? await deps.keys.find(call.principal, keySidOf(call)) : await deps.keys.rename(call.principal, keySidOf(call), friendlyName);
  return key.ok ? answer(restKey(key.value, false)) : key;
}

async function revokeKey(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const account = checkAccount(call);
  if (!account.ok) return account;
  const key = await deps.keys.revoke(call.principal, keySidOf(call));
  return key.ok ? deleted() : key;
}

export const KEY_ROUTES: readonly RestRoute[] = [
  route('GET', '/Accounts/:accountSid/Keys.json', LIST_KEYS, listKeys),
  route('POST', '/Accounts/:accountSid/Keys.json', KEY_NAME, createKey),
  route('GET', '/Accounts/:accountSid/Keys/:keyFile', {}, fetchKey),
  route('POST', '/Accounts/:accountSid/Keys/:keyFile', KEY_NAME, updateKey),
  route('DELETE', '/Accounts/:accountSid/Keys/:keyFile', {}, revokeKey),
];
