/**
 * API keys on Twilio's 2010 API, where the `twilio` library sends `client.newKeys.create()`,
 * `client.keys.list()`, `client.keys(SK).fetch()/update()/remove()`:
 * `/2010-04-01/Accounts/{AC}/Keys.json` and `/2010-04-01/Accounts/{AC}/Keys/{SK}.json`. This API
 * pages with relative `*_page_uri` fields and dates in RFC 2822; the secret is shown once.
 */
import { ok, refuse, type Result } from '../../core/errors.js';
import type { ApiKey } from '../../core/resources.js';
import { pageArray, readPaging } from './paging.js';
import { ParamReader } from './params.js';
import { answer, created, deleted, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { restKey } from './wire.js';

/** The account in the path must be the caller's own. */
function checkAccount(call: RestCall): Result<string> {
  const sid = call.path.accountSid ?? '';
  return sid === call.principal.accountSid ? ok(sid) : refuse('not-found', `Account ${sid} was not found`);
}

function keySidOf(call: RestCall): string {
  return (call.path.keyFile ?? '').replace(/\.json$/, '');
}

async function createKey(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const account = checkAccount(call);
  if (!account.ok) return account;
  const p = new ParamReader(call.body);
  const friendlyName = p.string('FriendlyName') ?? '';
  if (p.refusal) return p.refusal;
  const key = await deps.keys.create(call.principal, friendlyName);
  return key.ok ? created(restKey(key.value, true)) : key;
}

async function listKeys(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const account = checkAccount(call);
  if (!account.ok) return account;
  const p = new ParamReader(call.query);
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
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

async function updateKey(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const account = checkAccount(call);
  if (!account.ok) return account;
  const p = new ParamReader(call.body);
  const friendlyName = p.string('FriendlyName');
  if (p.refusal) return p.refusal;
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
  { method: 'GET', url: '/Accounts/:accountSid/Keys.json', handler: listKeys },
  { method: 'POST', url: '/Accounts/:accountSid/Keys.json', handler: createKey },
  { method: 'GET', url: '/Accounts/:accountSid/Keys/:keyFile', handler: fetchKey },
  { method: 'POST', url: '/Accounts/:accountSid/Keys/:keyFile', handler: updateKey },
  { method: 'DELETE', url: '/Accounts/:accountSid/Keys/:keyFile', handler: revokeKey },
];
