/**
 * `GET /openapi.json`: an OpenAPI 3 document generated from the route schemas that validate
 * requests. Structurally valid, served without credentials, and covering every route in
 * REST_ROUTE_SETS, so a route added without being documented fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REST_ROUTE_SETS } from '../../src/facades/rest/rest-facade.js';
import { startRollcall, type TestRollcall } from '../support/harness.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestRollcall;
let doc: Json;

beforeAll(async () => {
  server = await startRollcall();
  const response = await fetch(`${server.url}/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await response.json()) as Json;
});
afterAll(async () => server.close());

const METHODS = new Set(['get', 'post', 'delete', 'put', 'patch', 'head', 'options', 'trace']);
const openApiPath = (prefix: string, url: string): string => `${prefix}${url}`.replace(/:([A-Za-z]+)/g, '{$1}');
const param = (op: Json, where: string, name: string): Json | undefined => (op.parameters as Json[] | undefined)?.find((p) => p.in === where && p.name === name);
const formBody = (op: Json): Json => op.requestBody?.content?.['application/x-www-form-urlencoded']?.schema as Json;

describe('the OpenAPI document', () => {
  it('is OpenAPI 3 with HTTP basic auth as its security', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.securitySchemes.basicAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'basic' }));
    expect(doc.security).toEqual([{ basicAuth: [] }]);
  });

  it('is structurally valid: methods, path parameters for every template, parameters and responses well formed', () => {
    const paths = Object.entries(doc.paths as Json);
    expect(paths.length).toBeGreaterThan(40);
    for (const [path, item] of paths) {
      expect(path).toMatch(/^\//);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item as Json)) {
        expect(METHODS.has(method), `${method} ${path}`).toBe(true);
        for (const p of (op.parameters ?? []) as Json[]) {
          expect(['query', 'path', 'header', 'cookie']).toContain(p.in);
          expect(typeof p.name).toBe('string');
          expect(p.schema, `${method} ${path} ${p.name}`).toEqual(expect.any(Object));
        }
        for (const name of templated) expect(param(op, 'path', name ?? ''), `${method} ${path} {${name}}`).toMatchObject({ required: true });
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const response of Object.values(op.responses as Json)) expect(typeof response.description).toBe('string');
        const refusal = op.responses['4XX']?.content?.['application/json']?.schema;
        expect(refusal?.required, `${method} ${path} refusal`).toEqual(['code', 'message', 'more_info', 'status']);
      }
    }
  });

  it('documents every route of REST_ROUTE_SETS, and nothing else (console, EventBridge, ops, the 405 answers)', () => {
    const expected = REST_ROUTE_SETS.flatMap((set) => set.routes.map((r) => `${r.method.toLowerCase()} ${openApiPath(set.prefix, r.url)}`));
    const documented = Object.entries(doc.paths as Json).flatMap(([path, item]) => Object.keys(item as Json).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual([...new Set(expected)].sort());
  });

  it('describes query parameters in Twilio names with their types and limits', () => {
    const workers = doc.paths['/v1/Workspaces/{workspaceSid}/Workers'].get;
    expect(param(workers, 'path', 'workspaceSid')?.schema).toMatchObject({ type: 'string' });
    expect(param(workers, 'query', 'Available')?.schema).toMatchObject({ type: 'boolean' });
    expect(param(workers, 'query', 'PageSize')?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(param(workers, 'query', 'TaskQueueSid')?.description).toMatch(/Not supported/);
    const tasks = doc.paths['/v1/Workspaces/{workspaceSid}/Tasks'].get;
    expect(param(tasks, 'query', 'AssignmentStatus')?.schema).toMatchObject({ type: 'array', items: { type: 'string', enum: expect.arrayContaining(['pending', 'assigned']) } });
    expect(param(tasks, 'query', 'RoutingTarget')?.schema).toMatchObject({ type: 'string', pattern: '^WK[0-9a-f]{32}$' });
    expect(param(tasks, 'query', 'Nope')).toBeUndefined();
  });

  it('describes form-encoded bodies with what is required, and Flex Configuration as JSON', () => {
    const workspace = formBody(doc.paths['/v1/Workspaces'].post);
    expect(workspace.required).toEqual(['FriendlyName']);
    expect(workspace.properties.MultiTaskEnabled).toMatchObject({ type: 'boolean' });
    const task = formBody(doc.paths['/v1/Workspaces/{workspaceSid}/Tasks'].post);
    expect(task.properties.Attributes).toMatchObject({ type: 'string', description: expect.stringMatching(/JSON object/) });
    expect(task.properties.Timeout).toMatchObject({ type: 'integer', minimum: 1 });
    expect(task.properties.VirtualStartTime).toMatchObject({ type: 'string', format: 'date-time' });
    expect(doc.paths['/v1/Workspaces/{workspaceSid}/Tasks'].post.responses['201']).toBeDefined();
    const flex = doc.paths['/v1/Configuration'].post.requestBody.content['application/json'].schema;
    expect(flex.properties.offline_config.properties.presence).toMatchObject({ type: 'boolean' });
    expect(doc.paths['/2010-04-01/Accounts/{accountSid}/Keys.json'].post.tags).toEqual(['Keys (2010 API)']);
  });
});
