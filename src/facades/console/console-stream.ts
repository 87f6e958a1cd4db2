/**
 * `GET /console/api/stream`: the live feed as server-sent events. Each browser is one
 * subscriber of the ConsoleFeed; a frame is serialised once and written to every stream. The
 * browser's `Last-Event-ID` (the last `change` seq it saw) makes the feed replay what it missed.
 * A stream whose reader falls behind by more than `maxBufferedBytes` is closed: the browser
 * reconnects and catches up from the durable sequence instead of the server buffering for it.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ConsoleSession } from '../../service/console-ports.js';
import type { FeedFrame, FeedSnapshot } from '../../service/console-feed.js';
import type { SequencedEvent } from '../../service/console-ports.js';
import { ADMIN_COOKIE, adminSession, refuseWith, SESSION_EXPIRED, type ConsoleDeps } from './console-api.js';
import { activityRow, changeBody, settingsBody, workerRow } from './console-wire.js';

const KEEPALIVE_MS = 15_000;

interface Stream {
  readonly res: ServerResponse;
  readonly session: ConsoleSession;
  readonly cookie: string;
}

function sse(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function frameText(frame: FeedFrame): string {
  switch (frame.type) {
    case 'workers':
      return sse('workers', { server_time: frame.serverTime, rows: frame.members.map(workerRow), removed: frame.removed });
    case 'change':
      return sse('change', changeBody(frame.item), frame.item.seq);
    case 'activities':
      return sse('activity', { activities: frame.activities.map(activityRow) });
    case 'settings':
      return sse('settings', settingsBody(frame.settings));
  }
}

function snapshotText(snapshot: FeedSnapshot, replay: readonly SequencedEvent[]): string {
  // The replayed changes go first, so the browser's Last-Event-ID ends at the snapshot's seq.
  return replay.map((item) => sse('change', changeBody(item), item.seq)).join('') + sse('snapshot', {
    server_time: snapshot.serverTime,
    seq: snapshot.seq,
    workers: snapshot.members.map(workerRow),
    activities: snapshot.activities.map(activityRow),
    settings: settingsBody(snapshot.settings),
  }, snapshot.seq);
}

export function registerConsoleStream(app: FastifyInstance, deps: ConsoleDeps, maxBufferedBytes = 4 * 1024 * 1024): () => void {
  const streams = new Set<Stream>();
  // One timer for every stream: a keep-alive comment, and sessions re-checked (sign-out, expiry, revoked key).
  const keepalive = setInterval(() => {
    for (const stream of streams) {
      stream.res.write(': keep-alive\n\n');
      void deps.console.session(stream.cookie).then((s) => {
        if (!s || s.expiresAt <= deps.clock.now()) stream.res.end();
      }, (error: unknown) => deps.log.error({ err: error }, 'console stream session check failed'));
    }
  }, KEEPALIVE_MS);
  keepalive.unref();

  app.get('/console/api/stream', async (req, reply) => {
    const session = await adminSession(req, deps);
    if (!session) return refuseWith(reply, 401, 'session-expired', SESSION_EXPIRED);
    const lastId = Number(req.headers['last-event-id'] ?? (req.query as Record<string, string>).after);
    const afterSeq = Number.isInteger(lastId) && lastId >= 0 ? lastId : null;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 1000\n\n');
    const stream: Stream = { res, session, cookie: req.cookies[ADMIN_COOKIE] ?? '' };
    const subscriber = {
      send(frames: readonly FeedFrame[]) {
        if (res.writableLength > maxBufferedBytes) {
          deps.log.warn({ credentialSid: session.credentialSid }, 'console stream fell behind; closing it so the browser catches up');
          res.end();
          return;
        }
        res.write(frames.map(frameText).join(''));
      },
    };
    let leave: (() => void) | null = null;
    let closed = false;
    res.on('close', () => {
      closed = true;
      streams.delete(stream);
      leave?.();
    });
    try {
      leave = await deps.feed.join(session.workspaceSid, subscriber, afterSeq, (snapshot, replay) => res.write(snapshotText(snapshot, replay)));
      if (closed) leave();
      else streams.add(stream);
    } catch (error) {
      deps.log.error({ err: error }, 'console stream could not start');
      res.end();
    }
  });

  return () => {
    clearInterval(keepalive);
    for (const stream of streams) stream.res.end();
    streams.clear();
  };
}
