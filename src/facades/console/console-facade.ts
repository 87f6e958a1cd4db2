/**
 * The console: the built web app (dist/web) at `/console`, its API at `/console/api` and its live
 * stream. Any `/console/…` path that is not a file or the API is a page of the single-page app,
 * so a reload or a shared link opens the same page.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { refuseWith, type ConsoleDeps } from './console-api.js';
import { registerConsoleRoutes } from './console-routes.js';
import { registerConsoleStream } from './console-stream.js';

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rollcall console</title></head>
<body><h1>The console is not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>), then reload.</p></body></html>`;

/** Registers the console; returns a function that closes its live streams (for shutdown). */
export async function registerConsoleFacade(app: FastifyInstance, deps: ConsoleDeps): Promise<() => void> {
  await app.register(cookie);
  await registerConsoleRoutes(app, deps);
  const closeStreams = registerConsoleStream(app, deps);
  const webDir = deps.webDir !== null && existsSync(path.join(deps.webDir, 'index.html')) ? deps.webDir : null;
  if (webDir === null) {
    deps.log.warn({ webDir: deps.webDir }, 'the console is not built; /console explains how to build it');
    const notBuilt = async (_req: FastifyRequest, reply: FastifyReply) => reply.code(503).type('text/html').send(NOT_BUILT);
    app.get('/console', notBuilt);
    app.get('/console/*', notBuilt);
    return closeStreams;
  }
  // Hashed assets never change under their name; pages always revalidate.
  await app.register(fastifyStatic, {
    root: webDir, prefix: '/console/', wildcard: false, index: false,
    setHeaders(res, file) {
      res.setHeader('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url.startsWith('/console/api/')) return refuseWith(reply, 404, 'not-found', `No console API at ${req.method} ${req.url.split('?')[0]}`);
    return reply.header('cache-control', 'no-cache').sendFile('index.html', webDir);
  };
  app.get('/console', page);
  app.get('/console/*', page);
  return closeStreams;
}
