/**
 * The bus of several nodes on one PostgreSQL (issue 11 item 4, scale-out.md §3). What a node
 * publishes (after its commit) goes to its own subscribers at once, as on the local bus, and to
 * every other node through `pg_notify` on one channel per schema: each node holds one LISTEN
 * connection and hands what arrives to its subscribers, marked `remote`. A payload over the
 * notification limit (~8 000 bytes; 7 000 kept as margin) is stored in `bus_payloads` and the
 * notification carries its id. Notifications are not durable (a dropped LISTEN connection misses
 * them), so every `pollMs` each node also reads the durable event sequence (`eventsAfter`, commit
 * order) past what it has seen; an event no notification has brought by the next poll (one
 * interval of grace: a notification is sent after its commit) is published then, deduplicated by SID.
 * Pushes to agents are not durable: a push lost with a notification reaches the agent when its SDK
 * next reads (its reservations on reconnect). Catalogue changes (`catalog`, no event) have no poll:
 * when the LISTEN connection comes back after a failure, subscribers are told to `resync`.
 */
import pg from 'pg';
import type { SequencedEvent } from '../service/console-ports.js';
import type { WorkspaceEvent } from '../core/resources.js';
import type { Bus, BusMessage, Cancel, Log } from '../service/ports.js';
import { createLocalBus } from './local-bus.js';

export const NOTIFY_LIMIT_BYTES = 7000;
/** Event SIDs remembered for deduplication (the poll's window is far smaller). */
const SEEN_LIMIT = 50_000;

export interface PgBusOptions {
  /** The database URL (with the schema's `options`, if any). */
  readonly url: string;
  /** This node's tag: its own notifications are not delivered twice. */
  readonly nodeTag: string;
  readonly log: Log;
  /** The durable sequence the poll follows. */
  readonly events: {
    routingWorkspaces(): Promise<{ workspaceSid: string }[]>;
    eventsAfter(workspaceSid: string, seq: number, limit: number): Promise<SequencedEvent[]>;
    lastEventSeq(workspaceSid: string): Promise<number>;
  };
  readonly pollMs?: number;
  /** Waits between reconnects of the LISTEN connection. */
  readonly reconnectMs?: number;
}

/**
 * One notification: the messages published while the previous notification was being sent, in
 * publish order (a burst of ten thousand logouts is a few dozen notifications, not ten thousand
 * statements), inline or, over the limit, stored in `bus_payloads` under `ref`. `message` (one, inline)
 * is what nodes before the batching sent; it is still read, for a rolling upgrade.
 */
interface Envelope {
  readonly from: string;
  readonly messages?: readonly BusMessage[];
  readonly message?: BusMessage;
  readonly ref?: string;
}

/** Messages sent in one notification at most (a stored body of a few hundred kilobytes). */
const BATCH_LIMIT = 500;

export interface PgBus extends Bus {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether the LISTEN connection is up (for readiness and tests). */
  readonly listening: boolean;
  /** Runs one poll of the event sequence now (tests; the timer runs it every pollMs). */
  poll(): Promise<number>;
}

export function createPgBus(options: PgBusOptions): PgBus {
  const local = createLocalBus((error) => options.log.error({ err: error }, 'bus subscriber failed'));
  const pool = new pg.Pool({ connectionString: options.url, max: 2 });
  pool.on('error', (error) => options.log.warn({ err: error }, 'bus connection failed'));
  // A checked-out client whose link breaks fails its statement; its 'error' event must not crash the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const seen = new Set<string>();
  const cursors = new Map<string, number>();
  const unheard = new Map<string, WorkspaceEvent>();
  let channel = '';
  let listener: pg.Client | null = null;
  let listenedBefore = false;
  let stopped = false;
  let pollTimer: NodeJS.Timeout | null = null;
  let polling: Promise<number> | null = null;
  // One send at a time, in publish order: two pushes of one offer never overtake each other.
  let sending: Promise<void> = Promise.resolve();
  let queued: BusMessage[] = [];

  const remember = (sid: string): boolean => {
    if (seen.has(sid)) return false;
    seen.add(sid);
    if (seen.size > SEEN_LIMIT) for (const old of seen) { seen.delete(old); if (seen.size <= SEEN_LIMIT / 2) break; }
    return true;
  };

  const deliver = (message: BusMessage): void => {
    if (message.event && !remember(message.event.sid)) return;
    local.publish({ ...message, remote: true });
  };

  const received = async (payload: string | undefined): Promise<void> => {
    if (!payload) return;
    const envelope = JSON.parse(payload) as Envelope;
    if (envelope.from === options.nodeTag) return;
    if (envelope.message) return deliver(envelope.message);
    for (const message of envelope.messages ?? []) deliver(message);
    if (envelope.ref) {
      const { rows } = await pool.query<{ body: string }>('SELECT body FROM bus_payloads WHERE id = $1', [envelope.ref]);
      const body = rows[0]?.body;
      if (body === undefined) throw new Error(`bus payload ${envelope.ref} is gone`);
      const stored = JSON.parse(body) as BusMessage | BusMessage[];
      for (const message of Array.isArray(stored) ? stored : [stored]) deliver(message);
    }
  };

  const send = async (messages: readonly BusMessage[]): Promise<void> => {
    const inline = JSON.stringify({ from: options.nodeTag, messages } satisfies Envelope);
    if (Buffer.byteLength(inline) <= NOTIFY_LIMIT_BYTES) {
      await pool.query('SELECT pg_notify($1, $2)', [channel, inline]);
      return;
    }
    // Stored and notified in one transaction: a listener never fetches an id that is not there yet.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string }>('INSERT INTO bus_payloads (body) VALUES ($1) RETURNING id', [JSON.stringify(messages)]);
      await client.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ from: options.nodeTag, ref: rows[0]?.id } satisfies Envelope)]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };

  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: options.url });
    client.on('notification', (n) => void received(n.payload).catch((error: unknown) => options.log.error({ err: error }, 'a bus notification could not be read')));
    let lost = false;
    const retry = (error: unknown): void => {
      if (lost) return;
      lost = true;
      if (listener === client) listener = null;
      void client.end().catch(() => undefined);
      if (stopped) return;
      options.log.warn({ err: error }, 'the bus LISTEN connection failed; reconnecting (the event poll covers the gap)');
      setTimeout(() => void listen().catch(() => undefined), options.reconnectMs ?? 1000);
    };
    client.on('error', retry);
    client.on('end', () => retry(new Error('the LISTEN connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      retry(error);
      throw error;
    }
    if (stopped) {
      await client.end();
      return;
    }
    listener = client;
    // Back after a failure: what was sent meanwhile is lost. Events come again through the poll;
    // subscribers that keep other nodes' catalogue changes re-read it (routing-catalog-sync.ts).
    if (listenedBefore) local.publish({ resync: true, remote: true });
    listenedBefore = true;
  };

  const pollOnce = async (): Promise<number> => {
    // Events the previous poll found that no notification has brought since: delivered now.
    let found = 0;
    for (const [sid, event] of unheard) {
      if (seen.has(sid)) continue;
      found++;
      deliver({ event });
    }
    unheard.clear();
    for (const { workspaceSid } of await options.events.routingWorkspaces()) {
      let cursor = cursors.get(workspaceSid);
      if (cursor === undefined) {
        cursors.set(workspaceSid, await options.events.lastEventSeq(workspaceSid));
        continue;
      }
      for (;;) {
        const page = await options.events.eventsAfter(workspaceSid, cursor, 500);
        for (const { seq, event } of page) {
          cursor = seq;
          // Its notification may still be on its way: held until the next poll.
          if (!seen.has(event.sid)) unheard.set(event.sid, event);
        }
        cursors.set(workspaceSid, cursor);
        if (page.length < 500) break;
      }
    }
    await pool.query("DELETE FROM bus_payloads WHERE created_at < clock_timestamp() - interval '5 minutes'");
    if (found > 0) options.log.warn({ events: found }, 'the event poll found events no notification brought');
    return found;
  };

  const poll = (): Promise<number> => {
    polling ??= pollOnce().finally(() => (polling = null));
    return polling;
  };

  return {
    get listening() {
      return listener !== null;
    },
    async start() {
      const { rows } = await pool.query<{ schema: string }>('SELECT current_schema() AS schema');
      // Notifications are database-wide; one channel per schema keeps installations apart.
      channel = `rollcall_bus_${rows[0]?.schema ?? 'public'}`.slice(0, 63);
      await listen();
      await poll();
      pollTimer = setInterval(() => void poll().catch((error: unknown) => options.log.warn({ err: error }, 'the event poll failed; next try at the next interval')), options.pollMs ?? 2000);
    },
    async stop() {
      stopped = true;
      if (pollTimer) clearInterval(pollTimer);
      await polling?.catch(() => undefined);
      await sending;
      const client = listener;
      listener = null;
      await client?.end().catch(() => undefined);
      await pool.end();
    },
    poll,
    publish(message) {
      if (message.event) remember(message.event.sid);
      local.publish(message);
      if (stopped || channel === '') return;
      queued.push(message);
      // The first message since the last send starts the next one; the others join its batch.
      if (queued.length > 1) return;
      sending = sending.then(async () => {
        while (queued.length > 0) {
          const batch = queued.slice(0, BATCH_LIMIT);
          queued = queued.slice(batch.length);
          try {
            await send(batch);
          } catch (error) {
            options.log.warn({ err: error, messages: batch.length, eventSids: batch.flatMap((m) => m.event?.sid ?? []).slice(0, 5) },
              'a bus notification was not sent; other nodes learn of its events at their next poll');
          }
        }
      });
    },
    subscribe(listener): Cancel {
      return local.subscribe(listener);
    },
  };
}
