/** Liveness and readiness probes for process supervisors and load balancers. */
import type { FastifyInstance } from 'fastify';

export interface Readiness {
  /** Null when ready; otherwise why not (starting, shutting down, store unreachable). */
  notReadyBecause(): Promise<string | null>;
}

export function registerOpsRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const reason = await readiness.notReadyBecause();
    if (reason === null) return { status: 'ready' };
    return reply.code(503).send({ status: 'not-ready', reason });
  });
}
