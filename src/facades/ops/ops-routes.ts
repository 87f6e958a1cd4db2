/** Liveness and readiness probes for process supervisors and load balancers. */
import type { FastifyInstance } from 'fastify';

export interface Readiness {
  /** This node's name (ROLLCALL_NODE_NAME, else its first node id), in both answers. */
  readonly node: string;
  /** Null when ready; otherwise why not (starting, shutting down, store unreachable). */
  notReadyBecause(): Promise<string | null>;
}

export function registerOpsRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const reason = await readiness.notReadyBecause();
    if (reason === null) return { status: 'ready', node: readiness.node };
    return reply.code(503).send({ status: 'not-ready', node: readiness.node, reason });
  });
}
