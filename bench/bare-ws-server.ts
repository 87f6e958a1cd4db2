/**
 * The baseline of the memory target: a bare `ws` server doing for each agent what the protocol
 * needs and nothing else — accept the upgrade on `/v1/wschannels`, send one `init`, ping every
 * `pingMs`, send a whitespace heartbeat frame every `heartbeatFrameMs`. No auth, no store, no
 * presence. The presence bench forks it, connects the same agents process to it, and divides
 * Rollcall's RSS per agent by this one's (issue 12: ≤ 1.5×).
 *
 * It carries the presence server's loop probe, so the burst's stall of a bare `ws` server (all
 * agents SIGKILLed at once) is measured in the same run as Rollcall's: the floor under issue 12's
 * "no block over 100 ms".
 *
 * IPC: `ready` with the URL once listening; `stats` (with `gc`) answers RSS, connections and the
 * loop since the last `reset`; `close` closes every socket and exits.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { LoopProbe, type LoopStats } from './loop-probe.js';

export interface BareReady {
  readonly type: 'ready';
  readonly url: string;
}

export interface BareStats {
  readonly connections: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly loop: LoopStats;
}

type BareCommand =
  | { readonly id: number; readonly cmd: 'stats'; readonly gc: boolean }
  | { readonly id: number; readonly cmd: 'reset' }
  | { readonly id: number; readonly cmd: 'close' };

const pingMs = Number(process.env.BENCH_PING_MS ?? 10_000);
const heartbeatFrameMs = Number(process.env.BENCH_HEARTBEAT_FRAME_MS ?? 15_000);

const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const sockets = new Set<WebSocket>();
const probe = new LoopProbe();

server.on('upgrade', (req, socket, head) => {
  if (!req.url?.startsWith('/v1/wschannels')) return void socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => ws.terminate());
    ws.send(JSON.stringify({ event_type: 'init', payload: { channel_id: 'WKbare', token_lifetime: 3_600_000 } }));
  });
});

// One sweep for all sockets, as Rollcall's liveness wheel does, rather than a timer per socket.
const pinger = setInterval(() => {
  for (const ws of sockets) ws.ping();
}, pingMs);
const heartbeat = setInterval(() => {
  for (const ws of sockets) ws.send(' ');
}, heartbeatFrameMs);

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const ready: BareReady = { type: 'ready', url: `http://127.0.0.1:${port}` };
  process.send?.(ready);
});

process.on('disconnect', () => process.exit(2));
process.on('message', (raw) => {
  const command = raw as BareCommand;
  if (command.cmd === 'stats') {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (command.gc && gc) {
      gc();
      gc();
    }
    const m = process.memoryUsage();
    const value: BareStats = { connections: sockets.size, rssBytes: m.rss, heapUsedBytes: m.heapUsed, loop: probe.read().loop };
    process.send?.({ type: 'reply', id: command.id, value });
  } else if (command.cmd === 'reset') {
    probe.reset();
    process.send?.({ type: 'reply', id: command.id });
  } else {
    clearInterval(pinger);
    clearInterval(heartbeat);
    for (const ws of sockets) ws.terminate();
    server.close();
    process.send?.({ type: 'reply', id: command.id });
    setTimeout(() => process.exit(0), 100);
  }
});
