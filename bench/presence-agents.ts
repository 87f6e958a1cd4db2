/**
 * The load generator of the presence bench, forked by the orchestrator: one raw `ws` client per
 * token, speaking the agent channel as the SDK does (connect with the token, wait for `init`,
 * never send a frame; `ws` answers the server's pings by itself). The orchestrator stops it
 * with SIGSTOP (silent loss) or SIGKILL (every socket dropped at once), so it keeps no state
 * worth saving.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';

export interface AgentsConnect {
  readonly cmd: 'connect';
  readonly url: string;
  readonly tokensFile: string;
  /** Handshakes in flight at once. */
  readonly concurrency: number;
}

export type AgentsCommand = AgentsConnect | { readonly cmd: 'stats' };

export interface AgentsConnected {
  readonly type: 'connected';
  readonly ready: number;
  readonly failed: number;
  readonly failures: readonly string[];
  readonly elapsedMs: number;
  /** Open → `init` received, per agent, ms (sorted). */
  readonly initLatenciesMs: readonly number[];
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
const sockets: WebSocket[] = [];
const CONNECT_TIMEOUT_MS = 30_000;

/** Opens one agent channel; resolves with the time to `init`, or an error message. */
function connectOne(wsUrl: string, token: string): Promise<number | string> {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    let settled = false;
    const settle = (value: number | string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const ws = new WebSocket(`${wsUrl}/v1/wschannels?token=${encodeURIComponent(token)}&closeExistingSessions=false`, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      settle('no init within 30 s');
    }, CONNECT_TIMEOUT_MS);
    sockets.push(ws);
    ws.on('ping', () => counters.pings++);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? '' : data.toString();
      if (text.trim() === '') {
        counters.heartbeatFrames++;
        return;
      }
      if (!settled && (JSON.parse(text) as { event_type?: string }).event_type === 'init') {
        counters.open++;
        settle(performance.now() - startedAt);
        return;
      }
      counters.otherFrames++;
    });
    ws.on('error', (error) => settle(error.message));
    ws.on('close', (code) => {
      if (settled) {
        counters.open--;
        counters.closedAfterReady++;
      }
      settle(`closed ${code} before init`);
    });
  });
}

async function connectAll(command: AgentsConnect): Promise<AgentsConnected> {
  const tokens = JSON.parse(readFileSync(command.tokensFile, 'utf8')) as string[];
  const wsUrl = command.url.replace(/^http/, 'ws');
  const startedAt = performance.now();
  const latencies: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tokens.length) {
      const token = tokens[next++] as string;
      const result = await connectOne(wsUrl, token);
      if (typeof result === 'number') latencies.push(result);
      else failures.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, lane));
  return {
    type: 'connected',
    ready: latencies.length,
    failed: failures.length,
    failures: [...new Set(failures)].slice(0, 5),
    elapsedMs: Math.round(performance.now() - startedAt),
    initLatenciesMs: latencies.sort((a, b) => a - b),
  };
}

process.on('disconnect', () => process.exit(2));
process.on('message', (raw) => {
  const command = raw as AgentsCommand;
  if (command.cmd === 'connect') {
    void connectAll(command).then((result) => process.send?.(result), (error: unknown) => {
      console.error('presence-agents failed:', error);
      process.exit(1);
    });
  } else {
    const stats: AgentsStats = { type: 'stats', ...counters };
    process.send?.(stats);
  }
});
