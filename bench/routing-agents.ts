/**
 * The load generator of the routing e2e bench, forked by the orchestrator: one raw `ws` client
 * per token of its slice, speaking the agent channel as the SDK does (connect, wait for `init`;
 * `ws` answers the server's pings by itself). It stamps every `reservation.created` and
 * `reservation.rescinded` frame on receipt, and remembers which of its workers hold a pending
 * offer. On command it drops the sockets of offer holders one by one without a close frame
 * (`terminate()`: the kernel sends a FIN, as when a tab dies); the orchestrator SIGKILLs it to
 * drop everyone at once.
 */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { createPreciseClock } from './routing-figures.js';
import type { AgentToken } from './routing-server.js';

export type AgentsCommand =
  | { readonly cmd: 'connect'; readonly url: string; readonly tokensFile: string; readonly from: number; readonly to: number; readonly concurrency: number }
  | { readonly cmd: 'receipts' }
  | { readonly cmd: 'drop'; readonly count: number; readonly intervalMs: number };

export interface Receipt {
  readonly eventType: string;
  readonly workerSid: string;
  readonly taskSid: string;
  readonly reservationSid: string;
  /** Precise epoch ms (see createPreciseClock). */
  readonly at: number;
}

export type AgentsReply =
  | { readonly type: 'connected'; readonly ready: number; readonly failures: readonly string[]; readonly elapsedMs: number }
  | { readonly type: 'receipts'; readonly receipts: readonly Receipt[]; readonly holding: number; readonly open: number }
  | { readonly type: 'dropped'; readonly drops: readonly { readonly workerSid: string; readonly at: number }[] };

const CONNECT_TIMEOUT_MS = 30_000;
const RECORDED = new Set(['reservation.created', 'reservation.rescinded', 'reservation.canceled', 'reservation.timeout']);
const clock = createPreciseClock();
const sockets = new Map<string, WebSocket>();
/** Worker SID → the SID of the pending offer it holds. */
const holding = new Map<string, string>();
let receipts: Receipt[] = [];
let open = 0;

function onFrame(workerSid: string, text: string): void {
  if (text.trim() === '' || !text.includes('"reservation.')) return;
  const at = clock.now();
  const frame = JSON.parse(text) as { event_type?: string; payload?: { sid?: string; task_sid?: string } };
  const eventType = frame.event_type ?? '';
  if (!RECORDED.has(eventType)) return;
  const reservationSid = frame.payload?.sid ?? '';
  receipts.push({ eventType, workerSid, taskSid: frame.payload?.task_sid ?? '', reservationSid, at });
  if (eventType === 'reservation.created') holding.set(workerSid, reservationSid);
  else if (holding.get(workerSid) === reservationSid) holding.delete(workerSid);
}

/** Opens one agent channel; resolves with null once `init` arrives, or an error message. */
function connectOne(wsUrl: string, agent: AgentToken): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const ws = new WebSocket(`${wsUrl}/v1/wschannels?token=${encodeURIComponent(agent.token)}&closeExistingSessions=false`, { perMessageDeflate: false });
    const timer = setTimeout(() => (ws.terminate(), settle('no init within 30 s')), CONNECT_TIMEOUT_MS);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const text = data.toString();
      if (!settled) {
        if (text.includes('"init"')) {
          open++;
          sockets.set(agent.workerSid, ws);
          settle(null);
        }
        return;
      }
      onFrame(agent.workerSid, text);
    });
    ws.on('error', (error) => settle(error.message));
    ws.on('close', (code) => {
      if (settled && sockets.get(agent.workerSid) === ws) open--;
      settle(`closed ${code} before init`);
    });
  });
}

async function connectAll(command: Extract<AgentsCommand, { cmd: 'connect' }>): Promise<AgentsReply> {
  const agents = (JSON.parse(readFileSync(command.tokensFile, 'utf8')) as AgentToken[]).slice(command.from, command.to);
  const wsUrl = command.url.replace(/^http/, 'ws');
  const startedAt = performance.now();
  const failures: string[] = [];
  let next = 0;
  let ready = 0;
  const lane = async (): Promise<void> => {
    while (next < agents.length) {
      const failure = await connectOne(wsUrl, agents[next++] as AgentToken);
      if (failure === null) ready++;
      else failures.push(failure);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, lane));
  return { type: 'connected', ready, failures: [...new Set(failures)].slice(0, 5), elapsedMs: Math.round(performance.now() - startedAt) };
}

/** Drops the sockets of `count` offer holders, one every `intervalMs`, without a close frame. */
async function dropHolders(count: number, intervalMs: number): Promise<AgentsReply> {
  const drops: { workerSid: string; at: number }[] = [];
  for (const workerSid of [...holding.keys()].slice(0, count)) {
    const ws = sockets.get(workerSid);
    if (!ws) continue;
    sockets.delete(workerSid);
    holding.delete(workerSid);
    open--;
    drops.push({ workerSid, at: clock.now() });
    ws.terminate();
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return { type: 'dropped', drops };
}

process.on('disconnect', () => process.exit(2));
process.on('message', (raw) => {
  const command = raw as AgentsCommand;
  const send = (reply: AgentsReply): void => void process.send?.(reply);
  const fail = (error: unknown): void => {
    console.error('routing-agents failed:', error);
    process.exit(1);
  };
  if (command.cmd === 'connect') void connectAll(command).then(send, fail);
  else if (command.cmd === 'drop') void dropHolders(command.count, command.intervalMs).then(send, fail);
  else {
    send({ type: 'receipts', receipts, holding: holding.size, open });
    receipts = [];
  }
});
