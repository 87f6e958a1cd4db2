/**
 * A real HTTP server on 127.0.0.1 that receives callbacks as a customer's endpoint would: it
 * records every request (path, headers, form parameters) and answers as the test says.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCallback {
  readonly path: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly params: Record<string, string>;
}

export interface CallbackAnswer {
  readonly status: number;
  readonly body?: string;
  /** Holds the answer until this resolves (a slow endpoint). */
  readonly after?: Promise<void>;
}

export type CallbackResponder = (request: ReceivedCallback) => CallbackAnswer;

export class CallbackServer {
  readonly received: ReceivedCallback[] = [];
  private responder: CallbackResponder = () => ({ status: 204 });
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly server: Server, readonly baseUrl: string) {}

  static async start(): Promise<CallbackServer> {
    let self: CallbackServer | null = null;
    const server = createServer((req, res) => void self?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new CallbackServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  answer(responder: CallbackResponder): void {
    this.responder = responder;
  }

  /** Resolves with the first callback received (earlier ones included) that `match` accepts. */
  async next(match: (r: ReceivedCallback) => boolean, timeoutMs = 10_000): Promise<ReceivedCallback> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.received.find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(found);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no matching callback within ${timeoutMs} ms; received ${this.received.map((r) => r.params.EventType ?? r.path).join(', ')}`));
      }, timeoutMs);
      if (!check()) this.listeners.add(listener);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '/';
    const received: ReceivedCallback = {
      path, url: `${this.baseUrl}${path}`, headers: req.headers,
      params: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
    };
    const answer = this.responder(received);
    this.received.push(received);
    for (const l of [...this.listeners]) l();
    if (answer.after) await answer.after;
    res.writeHead(answer.status, answer.body ? { 'content-type': 'application/json' } : {});
    res.end(answer.body ?? '');
  }
}
