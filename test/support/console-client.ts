/**
 * A console API client for tests, shaped like the browser: one cookie jar, the page's own
 * `Origin` and the CSRF header on every change (each can be left out or replaced to test the
 * guard), and a server-sent-events reader for the live stream.
 */
import http from 'node:http';

export interface ConsoleResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface CallOptions {
  /** `null` leaves the header out. */
  readonly origin?: string | null;
  readonly csrf?: boolean;
}

export class ConsoleClient {
  private cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<ConsoleResponse<T>> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (method !== 'GET') {
      const origin = options.origin === undefined ? new URL(this.baseUrl).origin : options.origin;
      if (origin !== null) headers.origin = origin;
      if (options.csrf !== false) headers['x-rollcall-csrf'] = '1';
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = (pair ?? '').split('=');
      if (!name) continue;
      if (value === '' || /Max-Age=0/i.test(line) || /Expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value ?? '');
    }
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T, headers: res.headers };
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async signIn(username: string, password: string): Promise<ConsoleResponse> {
    return this.call('POST', '/console/api/session', { username, password });
  }

  /** Opens the live stream; `lastEventId` resumes it as a browser's EventSource would. */
  stream(lastEventId?: string): SseReader {
    const headers: Record<string, string> = { accept: 'text/event-stream', cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    return new SseReader(`${this.baseUrl}/console/api/stream`, headers);
  }
}

export interface SseEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: Record<string, unknown>;
}

/** Reads server-sent events into a list that tests wait on. */
export class SseReader {
  readonly events: SseEvent[] = [];
  status: number | null = null;
  private readonly req: http.ClientRequest;
  private buffer = '';

  constructor(url: string, headers: Record<string, string>) {
    this.req = http.get(url, { headers }, (res) => {
      this.status = res.statusCode ?? null;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => this.take(chunk));
    });
    this.req.on('error', () => undefined);
  }

  /** The `id:` of the last event that had one (what EventSource sends back as Last-Event-ID). */
  lastId(): string | undefined {
    return [...this.events].reverse().find((e) => e.id !== undefined)?.id;
  }

  close(): void {
    this.req.destroy();
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) this.events.push({ event, id, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
    }
  }
}
