/**
 * The REST client of the cluster bench, forked by the orchestrator so that its own event loop
 * never delays the orchestrator's: it creates the workers, sets activities in sweeps, and drives
 * the transitions window (a closed loop of `POST Workspaces/{WS}/Workers/{WK}` with `ActivitySid`,
 * Available ↔ Break, spread round-robin over the three nodes on HTTP keep-alive). Each request is
 * timed from sending to the end of its answer, which a node gives after the PostgreSQL commit.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface RestTarget {
  /** The nodes' base URLs; request i goes to node i mod n. */
  readonly urls: readonly string[];
  readonly auth: string;
  readonly workspaceSid: string;
  /** In flight at once, over all nodes. */
  readonly concurrency: number;
}

export type RestCommand = { readonly id: number } & RestTarget & (
  | { readonly cmd: 'create'; readonly names: readonly string[]; readonly activitySid: string }
  | { readonly cmd: 'set'; readonly sids: readonly string[]; readonly activitySid: string }
  | { readonly cmd: 'toggle'; readonly sids: readonly string[]; readonly available: string; readonly other: string; readonly warmupMs: number; readonly windowMs: number }
);

export interface SweepResult { readonly sids: string[]; readonly latenciesMs: number[]; readonly elapsedMs: number }

export interface ToggleResult {
  /** Wall-clock bounds of the timed window (the warm-up before it is not counted). */
  readonly windowStartAt: number;
  readonly windowEndAt: number;
  /** Answers received inside the window: 200s, and anything else. */
  readonly ok: number;
  readonly failed: number;
  readonly failures: readonly string[];
  readonly latenciesMs: number[];
  /** Workers sent back to Available after the window. */
  readonly restored: number;
}

const agents = new Map<string, http.Agent>();

function post(url: string, target: RestTarget, form: Record<string, string>): Promise<{ status: number; body: string; ms: number }> {
  const origin = new URL(url).origin;
  let agent = agents.get(origin);
  if (!agent) agents.set(origin, (agent = new http.Agent({ keepAlive: true, maxSockets: Math.ceil(target.concurrency / target.urls.length) + 1 })));
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const req = http.request(url, {
      method: 'POST', agent,
      headers: { authorization: target.auth, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - startedAt }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const workersUrl = (t: RestTarget, i: number): string => `${t.urls[i % t.urls.length]}/v1/Workspaces/${t.workspaceSid}/Workers`;

/** Runs `one(i)` for i in [0, n) with `concurrency` lanes; the first failure rejects. */
async function lanes(n: number, concurrency: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, lane));
}

async function create(t: RestTarget, names: readonly string[], activitySid: string): Promise<SweepResult> {
  const startedAt = performance.now();
  const sids: string[] = new Array<string>(names.length);
  const latenciesMs: number[] = [];
  await lanes(names.length, t.concurrency, async (i) => {
    const res = await post(workersUrl(t, i), t, { FriendlyName: names[i] as string, ActivitySid: activitySid });
    if (res.status !== 201) throw new Error(`create ${names[i]}: ${res.status} ${res.body.slice(0, 300)}`);
    sids[i] = (JSON.parse(res.body) as { sid: string }).sid;
    latenciesMs.push(res.ms);
  });
  return { sids, latenciesMs, elapsedMs: performance.now() - startedAt };
}

async function set(t: RestTarget, sids: readonly string[], activitySid: string): Promise<SweepResult> {
  const startedAt = performance.now();
  const latenciesMs: number[] = [];
  await lanes(sids.length, t.concurrency, async (i) => {
    const res = await post(`${workersUrl(t, i)}/${sids[i]}`, t, { ActivitySid: activitySid });
    if (res.status !== 200) throw new Error(`set ${sids[i]}: ${res.status} ${res.body.slice(0, 300)}`);
    latenciesMs.push(res.ms);
  });
  return { sids: [...sids], latenciesMs, elapsedMs: performance.now() - startedAt };
}

/**
 * The transitions window: each lane takes the next worker round-robin and flips it (Available ↔
 * other). Two lanes never hold one worker at once (more workers than lanes, taken in turn), so
 * every request is a real change. Afterwards every worker left on `other` goes back to Available.
 */
async function toggle(t: RestTarget, sids: readonly string[], available: string, other: string, warmupMs: number, windowMs: number): Promise<ToggleResult> {
  if (sids.length < 2 * t.concurrency) throw new Error(`toggle: ${sids.length} workers for ${t.concurrency} lanes; need at least twice as many`);
  const onOther = new Set<number>();
  const busy = new Set<number>();
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  let ok = 0;
  let failed = 0;
  let cursor = 0;
  const startAt = Date.now();
  const windowStartAt = startAt + warmupMs;
  const windowEndAt = windowStartAt + windowMs;
  const lane = async (): Promise<void> => {
    while (Date.now() < windowEndAt) {
      while (busy.has(cursor % sids.length)) cursor++;
      const i = cursor++ % sids.length;
      busy.add(i);
      const to = onOther.has(i) ? available : other;
      const sentAt = Date.now();
      const res = await post(`${workersUrl(t, i)}/${sids[i]}`, t, { ActivitySid: to });
      busy.delete(i);
      const counted = sentAt >= windowStartAt && Date.now() <= windowEndAt;
      if (res.status === 200) {
        if (to === other) onOther.add(i);
        else onOther.delete(i);
        if (counted) {
          ok++;
          latenciesMs.push(res.ms);
        }
      } else {
        if (counted) failed++;
        if (failures.length < 5) failures.push(`${res.status} ${res.body.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: t.concurrency }, lane));
  const back = [...onOther].map((i) => sids[i] as string);
  await set(t, back, available);
  return { windowStartAt, windowEndAt, ok, failed, failures, latenciesMs, restored: back.length };
}

function run(c: RestCommand): Promise<unknown> {
  switch (c.cmd) {
    case 'create': return create(c, c.names, c.activitySid);
    case 'set': return set(c, c.sids, c.activitySid);
    case 'toggle': return toggle(c, c.sids, c.available, c.other, c.warmupMs, c.windowMs);
  }
}

process.on('disconnect', () => process.exit(2));
process.on('message', (raw) => {
  const command = raw as RestCommand;
  run(command).then(
    (value) => process.send?.({ type: 'reply', id: command.id, value }),
    (error: unknown) => process.send?.({ type: 'reply', id: command.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
