/**
 * API keys on Twilio's iam v1 API, where the `twilio` library's `client.iam.v1` sends them:
 * `newApiKey.create({accountSid, friendlyName, keyType})` → `POST /v1/Keys`,
 * `getApiKeys.list({accountSid})` → `GET /v1/Keys?AccountSid=…`, and
 * `apiKey(SK).fetch()/update()/remove()` → `/v1/Keys/{SK}`. The same keys and rules as the 2010
 * paths (key-routes.ts): managed with the account credentials only, the secret shown once.
 * Restricted keys (`KeyType=restricted`, `Policy`) are refused: every Rollcall key is standard.
 */
import { refuse, type Result } from '../../core/errors.js';
import type { ApiKey } from '../../core/resources.js';
import { PAGING, pageArray, pageEnvelope, pagingOf } from './paging.js';
import { answer, created, deleted, route, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { formParams, oneOf, refused, required, text } from './rest-params.js';
import { restKey } from './wire.js';

/** `AccountSid` (required on create and list) must be the caller's own account. */
function checkAccount(sid: string, call: RestCall): Result<string> {
  return sid === call.principal.accountSid ? { ok: true, value: sid } : refuse('invalid-parameter', `AccountSid ${sid} is not the account of these credentials`, 'AccountSid');
}

/** Only standard keys exist here; asking for a restricted one is refused, never silently downgraded. */
const policy = () => refused((name) => `${name} is not supported: restricted keys do not exist in Rollcall`, 'restricted keys do not exist');

const CREATE_KEY = {
  body: formParams({
    AccountSid: required(text()), FriendlyName: text(),
    KeyType: oneOf(['standard'], (name, keyType) => `${name} ${keyType} is not supported: Rollcall keys are standard`), Policy: policy(),
  }),
};

async function createKey(call: RestCall<typeof CREATE_KEY>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const account = checkAccount(call.body.AccountSid, call);
  if (!account.ok) return account;
  const key = await deps.keys.create(call.principal, call.body.FriendlyName ?? '');
  return key.ok ? created({ ...restKey(key.value, true), policy: null }) : key;
}

const LIST_KEYS = { querystring: formParams({ AccountSid: required(text()), ...PAGING }) };

async function listKeys(call: RestCall<typeof LIST_KEYS>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const account = checkAccount(call.query.AccountSid, call);
  if (!account.ok) return account;
  const paging = pagingOf(call.query);
  const keys = await deps.keys.list(call.principal);
  if (!keys.ok) return keys;
  const page = pageArray<ApiKey>(keys.value, paging.request);
  if (!page.ok) return page;
  const items = page.value.items.map((k) => ({ ...restKey(k, false), flags: [] }));
  return answer(pageEnvelope('keys', items, page.value, paging, { url: call.url, query: call.rawQuery }));
}

async function fetchKey(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const key = await deps.keys.find(call.principal, call.path.keySid ?? '');
  return key.ok ? answer({ ...restKey(key.value, false), policy: null }) : key;
}

const UPDATE_KEY = { body: formParams({ FriendlyName: text(), Policy: policy() }) };

async function updateKey(call: RestCall<typeof UPDATE_KEY>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const friendlyName = call.body.FriendlyName;
  const sid = call.path.keySid ?? '';
  const key = friendlyName === undefined ? await deps.keys.find(call.principal, sid) : await deps.keys.rename(call.principal, sid, friendlyName);
  return key.ok ? answer({ ...restKey(key.value, false), policy: null }) : key;
}

async function revokeKey(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const key = await deps.keys.revoke(call.principal, call.path.keySid ?? '');
  return key.ok ? deleted() : key;
}

export const IAM_KEY_ROUTES: readonly RestRoute[] = [
  route('GET', '/Keys', LIST_KEYS, listKeys),
  route('POST', '/Keys', CREATE_KEY, createKey),
  route('GET', '/Keys/:keySid', {}, fetchKey),
  route('POST', '/Keys/:keySid', UPDATE_KEY, updateKey),
  route('DELETE', '/Keys/:keySid', {}, revokeKey),
];

