/**
 * The load generator of the presence benches, forked by an orchestrator: one raw `ws` client per
 * token, speaking the agent channel as the SDK does (connect with the token, wait for `init`,
 * never send a frame; `ws` answers the server's pings by itself). The presence bench stops it with
 * SIGSTOP (silent loss) or SIGKILL (every socket dropped at once), so it keeps no state worth saving.
 *
 * With `reconnect` (the scale bench) every agent behaves like twilio-taskrouter 2.x's EventBridge
 * client after its first `init`: on any close, and on any failed upgrade or refused TCP connect, it
 * opens a new socket after the SDK's back-off, `generateBackOffInterval(1)` = 800–1000 ms uniform
 * (the SDK resets its attempt counter on every new socket, so the back-off never grows), forever.
 * `localAddresses` spreads client sockets over source addresses, agent by agent. A socket with a
 * source address is bound before it connects, and the kernel's search for a free port of that
 * address grows with the ports it holds, TIME_WAIT included: with one address for 10 000 agents
 * and a storm's refused attempts, `bind` took 16 of 29 s of one stall of this process (20 s
 * without answering a ping, so the server rightly lost hundreds of its agents). Sixteen addresses
 * keep each one's ports few.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';

export interface AgentsConnect {
  readonly cmd: 'connect';
  readonly url: string;
  readonly tokensFile: string;
  /** Handshakes in flight at once (first connection only; reconnects are paced by the back-off). */
  readonly concurrency: number;
  /** This process's share of the tokens file: [from, to). Default all. */
  readonly slice?: readonly [number, number];
  /** Source addresses, one per agent in turn (see the file comment). */
  readonly localAddresses?: readonly string[];
  /** Reconnect like the SDK once connected (see the file comment). */
  readonly reconnect?: boolean;
}

/** Wait until every agent is open again (after a restart); answers `AgentsBack`. */
export interface AgentsAwaitBack { readonly cmd: 'await-back'; readonly sinceEpochMs: number; readonly timeoutMs: number }

export type AgentsCommand = AgentsConnect | AgentsAwaitBack | { readonly cmd: 'stats' } | { readonly cmd: 'history' };

export interface AgentsConnected {
  readonly type: 'connected';
  readonly ready: number;
  readonly failed: number;
  readonly failures: readonly string[];
  /** First attempts that failed and were tried again (`reconnect` only; see FIRST_CONNECT_ATTEMPTS), and why. */
  readonly retries: number;
  readonly retryReasons: readonly string[];
  readonly elapsedMs: number;
  /** Open → `init` received, per agent, ms (sorted). */
  readonly initLatenciesMs: readonly number[];
}

/** Sent every PROGRESS_MS while the first connect runs, so a long run shows how far it got. */
export interface AgentsProgress {
  readonly type: 'progress';
  readonly ready: number;
  readonly failed: number;
  readonly elapsedMs: number;
}

export interface AgentsBack {
  readonly type: 'back';
  readonly open: number;
  readonly total: number;
  /** Epoch ms of each agent's latest `init`, by index in this process's slice. */
  readonly backAtMs: readonly number[];
  /** Upgrade attempts refused or failed (any status, connect refused, closed before init) since `sinceEpochMs`. */
  readonly failedAttempts: number;
  readonly refusedStatuses: Readonly<Record<string, number>>;
}

/** Answers `{ cmd: 'history' }`. */
export interface AgentsHistory {
  readonly type: 'history';
  /**
   * Per agent (by index in this process's slice), from the last `await-back` to now: each `init`
   * as `[epoch ms, 0, 0]` and each close after an `init` as `[epoch ms, close code, ms since the
   * socket's last ping or its init, whichever came later]`, in order. Tells a logout of an agent
   * whose socket was open from one of an agent the server dropped again, and whether the server
   * had stopped pinging it.
   */
  readonly history: readonly (readonly (readonly [number, number, number])[])[];
  /** This process's event-loop delay since the `await-back` (ms): how late it could answer pings. */
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
}

export interface AgentsStats {
  readonly type: 'stats';
  readonly open: number;
  readonly pings: number;
  readonly heartbeatFrames: number;
  readonly otherFrames: number;
  readonly closedAfterReady: number;
}

const counters = { open: 0, pings: 0, heartbeatFrames: 0, otherFrames: 0, closedAfterReady: 0 };
const CONNECT_TIMEOUT_MS = 30_000;
const PROGRESS_MS = 10_000;
/** Attempts at a reconnecting agent's first connection before it counts as failed. */
const FIRST_CONNECT_ATTEMPTS = 5;
/** twilio-taskrouter 2.x EventBridge: Math.floor(rand × (max − min + 1)) + min, min 800, max 1000·(2¹ − 1). */
const sdkBackOffMs = (): number => Math.floor(Math.random() * (1000 - 800 + 1)) + 800;

let backAt: number[] = [];
let failedAttempts = 0;
const refusedStatuses: Record<string, number> = {};
const opened: boolean[] = [];
/** See `AgentsHistory`; recorded from the first `await-back` on. */
let history: [number, number, number][][] = [];
let recording = false;
const note = (index: number, code: number, sincePingMs: number): void => {
  if (recording) (history[index] ??= []).push([Date.now(), code, sincePingMs]);
};
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

interface Agent { readonly index: number; readonly url: string; readonly localAddress?: string; readonly reconnect: boolean }

/** Opens one agent channel; resolves with the time to `init`, or an error message. */
function connectOne(agent: Agent): Promise<number | string> {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    let settled = false;
    let ready = false;
    const settle = (value: number | string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const ws = new WebSocket(agent.url, { perMessageDeflate: false, localAddress: agent.localAddress });
    const timer = setTimeout(() => {
      ws.terminate();
      settle('no init within 30 s');
    }, CONNECT_TIMEOUT_MS);
    ws.on('unexpected-response', (_req, res) => {
      refusedStatuses[res.statusCode ?? 0] = (refusedStatuses[res.statusCode ?? 0] ?? 0) + 1;
      res.resume();
      ws.terminate();
    });
    let lastPingAt = 0;
    ws.on('ping', () => {
      counters.pings++;
      lastPingAt = Date.now();
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? '' : data.toString();
      if (text.trim() === '') {
        counters.heartbeatFrames++;
        return;
      }
      if (!ready && (JSON.parse(text) as { event_type?: string }).event_type === 'init') {
        ready = true;
        counters.open++;
        opened[agent.index] = true;
        backAt[agent.index] = Date.now();
        lastPingAt = Math.max(lastPingAt, Date.now());
        note(agent.index, 0, 0);
        settle(performance.now() - startedAt);
        return;
      }
      counters.otherFrames++;
    });
    ws.on('error', (error) => settle(error.message));
    ws.on('close', (code) => {
      if (ready) {
        counters.open--;
        counters.closedAfterReady++;
        opened[agent.index] = false;
        note(agent.index, code, Date.now() - lastPingAt);
      } else {
        failedAttempts++;
      }
      settle(`closed ${code} before init`);
      // The SDK reconnects on any close once it has been connected (a refused upgrade closes too).
      if (agent.reconnect && (ready || opened[agent.index] === false)) setTimeout(() => void connectOne(agent), sdkBackOffMs());
    });
  });
}

async function connectAll(command: AgentsConnect): Promise<AgentsConnected> {
  const all = JSON.parse(readFileSync(command.tokensFile, 'utf8')) as string[];
  const [from, to] = command.slice ?? [0, all.length];
  const tokens = all.slice(from, to);
  backAt = new Array<number>(tokens.length).fill(0);
  const wsUrl = command.url.replace(/^http/, 'ws');
  const startedAt = performance.now();
  const latencies: number[] = [];
  const failures: string[] = [];
  const retried: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tokens.length) {
      const index = next++;
      const url = `${wsUrl}/v1/wschannels?token=${encodeURIComponent(tokens[index] as string)}&closeExistingSessions=false`;
      const addresses = command.localAddresses ?? [];
      const localAddress = addresses.length > 0 ? addresses[index % addresses.length] : undefined;
      const agent = { index, url, localAddress, reconnect: command.reconnect ?? false };
      let result = await connectOne(agent);
      // The SDK retries a first connection that failed too; so does a reconnecting agent, a few times.
      for (let attempt = 1; typeof result === 'string' && agent.reconnect && attempt < FIRST_CONNECT_ATTEMPTS; attempt++) {
        retried.push(result);
        await new Promise((resolve) => setTimeout(resolve, sdkBackOffMs()));
        result = await connectOne(agent);
      }
      if (typeof result === 'number') latencies.push(result);
      else failures.push(result);
    }
  };
  const progress = setInterval(() => {
    const report: AgentsProgress = { type: 'progress', ready: latencies.length, failed: failures.length, elapsedMs: Math.round(performance.now() - startedAt) };
    process.send?.(report);
  }, PROGRESS_MS);
  try {
    await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, lane));
  } finally {
    clearInterval(progress);
  }
  return {
    type: 'connected',
    ready: latencies.length,
    failed: failures.length,
    failures: [...new Set(failures)].slice(0, 5),
    retries: retried.length,
    retryReasons: [...new Set(retried)].slice(0, 5),
    elapsedMs: Math.round(performance.now() - startedAt),
    initLatenciesMs: latencies.sort((a, b) => a - b),
  };
}

async function awaitBack(command: AgentsAwaitBack): Promise<AgentsBack> {
  const deadline = Date.now() + command.timeoutMs;
  const isBack = (at: number): boolean => at >= command.sinceEpochMs;
  while (!backAt.every(isBack) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return { type: 'back', open: counters.open, total: backAt.length, backAtMs: backAt, failedAttempts, refusedStatuses };
}

/** The history recorded since the last `await-back`, to the moment asked (the logouts come later). */
function historyNow(): AgentsHistory {
  return {
    type: 'history', history: Array.from({ length: backAt.length }, (_, i) => history[i] ?? []),
    loopP99Ms: loopDelay.percentile(99) / 1e6, loopMaxMs: loopDelay.max / 1e6,
  };
}

process.on('disconnect', () => process.exit(2));
process.on('message', (raw) => {
  const command = raw as AgentsCommand;
  const failed = (error: unknown): void => {
    console.error('presence-agents failed:', error);
    process.exit(1);
  };
  if (command.cmd === 'connect') {
    void connectAll(command).then((result) => process.send?.(result), failed);
  } else if (command.cmd === 'await-back') {
    failedAttempts = 0;
    history = [];
    recording = true;
    loopDelay.reset();
    loopDelay.enable();
    for (const key of Object.keys(refusedStatuses)) delete refusedStatuses[key];
    void awaitBack(command).then((result) => process.send?.(result), failed);
  } else if (command.cmd === 'history') {
    process.send?.(historyNow());
  } else {
    const stats: AgentsStats = { type: 'stats', ...counters };
    process.send?.(stats);
  }
});
