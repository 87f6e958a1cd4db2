/**
 * A loopback TCP proxy between an SDK client and Rollcall, so a test can break the link the way
 * networks do: `drop()` destroys both TCP sockets (the server sees a TCP close, no close frame),
 * `freeze()` stops forwarding in both directions without closing anything (the server sees
 * silence, like a sleeping laptop), and `refuseNew` makes reconnection attempts fail.
 */
import net from 'node:net';

export class TcpProxy {
  refuseNew = false;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private server: net.Server | null = null;
  port = 0;

  /** Where new connections go; a test may move it (a load balancer sending agents to another node). */
  constructor(public targetPort: number) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get openPairs(): number {
    return this.pairs.size;
  }

  private accept(client: net.Socket): void {
    if (this.refuseNew) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }

  /** Destroys every forwarded connection at once (TCP close, no WebSocket close frame). */
  drop(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Stops forwarding on every current connection without closing it: silence both ways. */
  freeze(): void {
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      client.removeAllListeners('close');
      upstream.removeAllListeners('close');
      // Keep the sockets open; forget them so a later drop() does not touch them.
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    }
    this.frozen.push(...this.pairs);
    this.pairs.clear();
  }

  private readonly frozen: { client: net.Socket; upstream: net.Socket }[] = [];

  async close(): Promise<void> {
    this.drop();
    for (const { client, upstream } of this.frozen) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
