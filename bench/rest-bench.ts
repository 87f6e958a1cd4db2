/**
 * REST bench: the performance targets of the REST issue, against one real Rollcall process.
 *   1. Worker list of 10 000 workers, PageSize=1000, every page reached through `next_page_url`:
 *      p99 ≤ 50 ms per page (request sent → last byte of the answer received).
 *   2. Worker activity update over REST at 200 updates/s: p99 ≤ 10 ms from sending the request
 *      until both the 200 answer (given after the durable SQLite commit) and the
 *      `worker.activity.update` push on the worker's WebSocket session have arrived.
 * Two processes: this one (the clients: HTTP keep-alive and raw `ws` sessions) and the server
 * (rest-server.ts). It prints percentiles and the ratio of each p99 to its target, and writes the
 * raw figures to `.bench-out/rest-<time>.json`.
 *
 *   npm run bench:rest
 *   node dist/bench/rest-bench.js --workers=2000 --duration-s=10      (after `npm run build`)
 * Options: --workers --list-rounds --library-rounds --rate --duration-s --warmup-s --sessions --profile=1
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type twilioSdk from 'twilio';
import WebSocket from 'ws';
import { openBenchDatabase } from './bench-database.js';
import type { RestServerCommand, RestServerLoop, RestServerReady } from './rest-server.js';

const TARGET = { listPageP99Ms: 50, updateP99Ms: 10 };

interface Options { workers: number; listRounds: number; libraryRounds: number; rate: number; durationS: number; warmupS: number; sessions: number; profile: number }

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { workers: 10_000, listRounds: 30, libraryRounds: 5, rate: 200, durationS: 30, warmupS: 3, sessions: 50, profile: 0 };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=') as [string, string | undefined];
    const name = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Options;
    if (!(name in o) || !Number.isFinite(Number(value))) throw new Error(`bad option ${arg}; known: ${Object.keys(o).join(', ')} (numbers)`);
    o[name] = Number(value);
  }
  return o;
}

// ── statistics ──

interface Summary { n: number; p50: number; p90: number; p99: number; max: number }

function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

const fmt = (ms: number): string => `${ms.toFixed(2).padStart(7)} ms`;

// ── HTTP ──

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function request(url: string, auth: string, method = 'GET', form?: string): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const headers: Record<string, string> = { authorization: auth, accept: 'application/json' };
    if (form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(form));
    }
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(form);
  });
}

// ── phases ──

async function listPhase(server: RestServerReady, auth: string, rounds: number): Promise<{ pages: number[]; pagesPerRound: number }> {
  const pages: number[] = [];
  let pagesPerRound = 0;
  for (let round = 0; round <= rounds; round++) {
    let url: string | null = `${server.url}/v1/Workspaces/${server.workspaceSid}/Workers?PageSize=1000`;
    let count = 0;
    while (url) {
      const res = await request(url, auth);
      if (res.status !== 200) throw new Error(`list page: ${res.status} ${res.body.slice(0, 200)}`);
      if (round > 0) pages.push(res.ms); // round 0 warms up
      url = (JSON.parse(res.body) as { meta: { next_page_url: string | null } }).meta.next_page_url;
      count++;
    }
    pagesPerRound = count;
  }
  return { pages, pagesPerRound };
}

interface Walkable { nextPage(): Promise<Walkable | undefined> | undefined }

/** The same walk through the official library, which also builds 1000 WorkerInstances per page. */
async function libraryPhase(server: RestServerReady, rounds: number): Promise<number[]> {
  const require = createRequire(import.meta.url);
  const twilio = require('twilio') as typeof twilioSdk;
  const client = twilio(server.accountSid, server.authToken);
  client.taskrouter.baseUrl = server.url;
  const pages: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    let started = performance.now();
    let page: Walkable = await client.taskrouter.v1.workspaces(server.workspaceSid).workers.page({ pageSize: 1000 });
    for (;;) {
      if (round > 0) pages.push(performance.now() - started);
      started = performance.now();
      const next = await page.nextPage();
      if (!next) break;
      page = next;
    }
  }
  return pages;
}

interface Session { socket: WebSocket; pending: { activitySid: string; onPush: (at: number) => void }[] }

async function connectSessions(server: RestServerReady): Promise<Map<string, Session>> {
  const sessions = new Map<string, Session>();
  const wsUrl = server.url.replace(/^http/, 'ws');
  await Promise.all(server.sessions.map(({ workerSid, token }) => new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(`${wsUrl}/v1/wschannels?token=${encodeURIComponent(token)}&closeExistingSessions=false`);
    const session: Session = { socket, pending: [] };
    sessions.set(workerSid, session);
    socket.on('message', (data) => {
      const at = performance.now();
      const text = data.toString();
      if (text.trim() === '') return; // heartbeat frame
      const message = JSON.parse(text) as { event_type: string; payload: { activity_sid?: string } };
      if (message.event_type === 'init') return resolve();
      if (message.event_type !== 'worker.activity.update') return;
      const i = session.pending.findIndex((p) => p.activitySid === message.payload.activity_sid);
      if (i >= 0) session.pending.splice(i, 1)[0]?.onPush(at);
    });
    socket.on('error', reject);
  })));
  return sessions;
}

interface UpdateSamples { answer: number[]; push: number[]; both: number[]; sendLag: number[]; failures: number }

async function updatePhase(server: RestServerReady, auth: string, sessions: Map<string, Session>, rate: number, durationS: number): Promise<UpdateSamples> {
  const samples: UpdateSamples = { answer: [], push: [], both: [], sendLag: [], failures: 0 };
  const workers = [...sessions.keys()];
  const current = new Map<string, string>();
  const choices = [server.activities.Available ?? '', server.activities.Break ?? ''];
  const intervalMs = 1000 / rate;
  const total = Math.round(rate * durationS);
  const inFlight: Promise<void>[] = [];
  const startAt = performance.now() + 50;
  for (let i = 0; i < total; i++) {
    const dueAt = startAt + i * intervalMs;
    // Open loop: each request leaves at its own time whatever the earlier ones are doing (no spin:
    // on a 2-CPU machine a busy-wait would take CPU from the server it measures).
    const wait = dueAt - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const workerSid = workers[i % workers.length] ?? '';
    const activitySid = current.get(workerSid) === choices[0] ? choices[1] ?? '' : choices[0] ?? '';
    current.set(workerSid, activitySid);
    const session = sessions.get(workerSid);
    if (!session) throw new Error('no session');
    const sentAt = performance.now();
    samples.sendLag.push(sentAt - dueAt);
    const pushed = new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(NaN), 5000);
      session.pending.push({ activitySid, onPush: (at) => (clearTimeout(timer), resolve(at)) });
    });
    inFlight.push((async () => {
      const res = await request(`${server.url}/v1/Workspaces/${server.workspaceSid}/Workers/${workerSid}`, auth, 'POST', `ActivitySid=${activitySid}`);
      const answeredAt = sentAt + res.ms;
      const pushedAt = await pushed;
      if (res.status !== 200 || Number.isNaN(pushedAt)) {
        samples.failures++;
        return;
      }
      samples.answer.push(answeredAt - sentAt);
      samples.push.push(pushedAt - sentAt);
      samples.both.push(Math.max(answeredAt, pushedAt) - sentAt);
    })());
  }
  await Promise.all(inFlight);
  return samples;
}

// ── orchestration ──

function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} from the server within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: { type?: string }): void => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
}

/** Load average and, where the kernel has it, CPU pressure (share of time something waited for a CPU). */
function machineLoad(): string {
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  let pressure = '';
  try {
    pressure = `, CPU pressure ${/avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? '?'} % (10 s)`;
  } catch {
    // no PSI on this kernel
  }
  return `load average ${load}${pressure}`;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const startLoad = machineLoad();
  const database = await openBenchDatabase();
  // --profile=1 writes a CPU profile of the server to .bench-out/profiles (it distorts the timings).
  const execArgv = o.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve('.bench-out/profiles')}`] : [];
  const child = fork(new URL('./rest-server.js', import.meta.url), [], {
    env: { ...process.env, ...database.env, BENCH_WORKERS: String(o.workers), BENCH_SESSIONS: String(o.sessions) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv,
  });
  const kill = (): void => void child.kill('SIGKILL');
  process.on('exit', kill);
  const send = (command: RestServerCommand): void => void child.send(command);
  console.log(`Seeding ${o.workers} workers on ${database.engine}…`);
  const server = await nextMessage<RestServerReady>(child, 'ready', 600_000);
  const auth = `Basic ${Buffer.from(`${server.accountSid}:${server.authToken}`).toString('base64')}`;
  console.log(`Server ready at ${server.url}: ${server.workers} workers seeded in ${(server.seedMs / 1000).toFixed(1)} s.`);

  const list = await listPhase(server, auth, o.listRounds);
  const library = await libraryPhase(server, o.libraryRounds);
  const sessions = await connectSessions(server);
  console.log(`Connected ${sessions.size} agent sessions; warming up ${o.warmupS} s, then ${o.durationS} s at ${o.rate} updates/s…`);
  await updatePhase(server, auth, sessions, o.rate, o.warmupS);
  send({ cmd: 'loop-reset' });
  const updates = await updatePhase(server, auth, sessions, o.rate, o.durationS);
  send({ cmd: 'loop' });
  const loop = await nextMessage<RestServerLoop>(child, 'loop', 10_000);
  for (const s of sessions.values()) s.socket.close();

  const rows: [string, Summary, number | null][] = [
    [`worker list page (PageSize=1000, ${list.pagesPerRound} pages × ${o.listRounds})`, summarize(list.pages), TARGET.listPageP99Ms],
    ['  same, through the twilio library (incl. its parsing)', summarize(library), null],
    [`activity update @${o.rate}/s: answer + push (target)`, summarize(updates.both), TARGET.updateP99Ms],
    ['  HTTP answer (durable commit)', summarize(updates.answer), null],
    ['  push on the worker\'s session', summarize(updates.push), null],
    ['  client send lag behind schedule', summarize(updates.sendLag), null],
  ];
  console.log(`\nREST bench — ${o.workers} workers on ${database.engine} — Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
  console.log(`Machine load at the start: ${startLoad}; at the end: ${machineLoad()}\n`);
  console.log(`${'measure'.padEnd(62)} ${'n'.padStart(6)} ${'p50'.padStart(10)} ${'p90'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}   p99/target`);
  for (const [name, s, target] of rows) {
    const ratio = target === null ? '' : `${(s.p99 / target).toFixed(2)} of ${target} ms ${s.p99 <= target ? 'OK' : 'OVER'}`;
    console.log(`${name.padEnd(62)} ${String(s.n).padStart(6)} ${fmt(s.p50)} ${fmt(s.p90)} ${fmt(s.p99)} ${fmt(s.max)}   ${ratio}`);
  }
  console.log(`\nUpdate failures (non-200 or no push within 5 s): ${updates.failures}`);
  console.log(`Server during the update window: event-loop delay p50 ${loop.p50Ms.toFixed(2)} ms, p99 ${loop.p99Ms.toFixed(2)} ms, max ${loop.maxMs.toFixed(2)} ms; CPU ${(loop.cpuShare * 100).toFixed(0)} % of one core (${(loop.cpuShare * 1000 / o.rate).toFixed(2)} ms per update)`);
  if (loop.pg) {
    const perUpdate = (n: number): string => (n / (o.rate * o.durationS)).toFixed(2);
    console.log(`PostgreSQL statements during the update window (pipelined: not round trips): ${loop.pg.statements} (${perUpdate(loop.pg.statements)} per update), ` +
      `waiting ${perUpdate(loop.pg.waitMs)} ms per update in total (statements in flight at once overlap); the most frequent, per update:`);
    for (const t of loop.pg.top) console.log(`  ${perUpdate(t.count).padStart(6)} × ${perUpdate(t.waitMs).padStart(7)} ms  ${t.text}`);
  }

  const outDir = path.resolve('.bench-out');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `rest-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ options: o, node: process.version, cpus: os.cpus().length, machine: { start: startLoad, end: machineLoad() }, engine: database.engine, list, library, updates, loop }, null, 1));
  console.log(`Raw figures: ${file}`);
  send({ cmd: 'stop' });
  await new Promise((resolve) => child.once('exit', resolve));
  await database.drop();
  agent.destroy();
  process.exitCode = list.pages.length > 0 && updates.failures === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
