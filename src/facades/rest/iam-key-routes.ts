/**
 * API keys on Twilio's iam v1 API, where the `twilio` library's `client.iam.v1` sends them:
 * `newApiKey.create({accountSid, friendlyName, keyType})` → `POST /v1/Keys`,
 * `getApiKeys.list({accountSid})` → `GET /v1/Keys?AccountSid=…`, and
 * `apiKey(SK).fetch()/update()/remove()` → `/v1/Keys/{SK}`. The same keys and rules as the 2010
 * paths (key-routes.ts): managed with the account credentials only, the secret shown once.
 * Restricted keys (`KeyType=restricted`, `Policy`) are refused: every Rollcall key is standard.
 */
import { type Result } from '../../core/errors.js';
import type { ApiKey } from '../../core/resources.js';
import { pageArray, pageEnvelope, readPaging } from './paging.js';
import { ParamReader } from './params.js';
import { answer, created, deleted, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { restKey } from './wire.js';

/** `AccountSid` is required on create and list, and must be the caller's own account. */
function checkAccount(p: ParamReader, call: RestCall): string {
  const sid = p.required('AccountSid');
  if (!p.refusal && sid !== call.principal.accountSid) p.fail('AccountSid', `AccountSid ${sid} is not the account of these credentials`);
  return sid;
}

/** Only standard keys exist here; asking for a restricted one is refused, never silently downgraded. */
function checkStandard(p: ParamReader): void {
  const keyType = p.string('KeyType');
  if (keyType !== undefined && keyType !== 'standard') p.fail('KeyType', `KeyType ${keyType} is not supported: Rollcall keys are standard`);
  if (p.string('Policy') !== undefined) p.fail('Policy', 'Policy is not supported: restricted keys do not exist in Rollcall');
}

async function createKey(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const p = new ParamReader(call.body);
  checkAccount(p, call);
  const friendlyName = p.string('FriendlyName') ?? '';
  checkStandard(p);
  if (p.refusal) return p.refusal;
  const key = await deps.keys.create(call.principal, friendlyName);
  return key.ok ? created({ ...restKey(key.value, true), policy: null }) : key;
}

async function listKeys(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const p = new ParamReader(call.query);
  checkAccount(p, call);
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  const keys = await deps.keys.list(call.principal);
  if (!keys.ok) return keys;
  const page = pageArray<ApiKey>(keys.value, paging.request);
  if (!page.ok) return page;
  const items = page.value.items.map((k) => ({ ...restKey(k, false), flags: [] }));
  return answer(pageEnvelope('keys', items, page.value, paging, { url: call.url, query: call.query }));
}

async function fetchKey(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const key = await deps.keys.find(call.principal, call.path.keySid ?? '');
  return key.ok ? answer({ ...restKey(key.value, false), policy: null }) : key;
}

async function updateKey(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const p = new ParamReader(call.body);
  const friendlyName = p.string('FriendlyName');
  if (p.string('Policy') !== undefined) p.fail('Policy', 'Policy is not supported: restricted keys do not exist in Rollcall');
  if (p.refusal) return p.refusal;
  const sid = call.path.keySid ?? '';
  const key = friendlyName === undefined ? await deps.keys.find(call.principal, sid) : await deps.keys.rename(call.principal, sid, friendlyName);
  return key.ok ? answer({ ...restKey(key.value, false), policy: null }) : key;
}

async function revokeKey(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const key = await deps.keys.revoke(call.principal, call.path.keySid ?? '');
  return key.ok ? deleted() : key;
}

export const IAM_KEY_ROUTES: readonly RestRoute[] = [
  { method: 'GET', url: '/Keys', handler: listKeys },
  { method: 'POST', url: '/Keys', handler: createKey },
  { method: 'GET', url: '/Keys/:keySid', handler: fetchKey },
  { method: 'POST', url: '/Keys/:keySid', handler: updateKey },
  { method: 'DELETE', url: '/Keys/:keySid', handler: revokeKey },
];

