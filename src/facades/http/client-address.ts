/**
 * The client's address, as Fastify's `request.ip` gives it for the same `trustProxy` setting, for
 * the one path Fastify never sees: the agent channel's WebSocket upgrade. X-Forwarded-For is read
 * only when the peer is a trusted proxy; otherwise a client could pick its own address and slip
 * past the per-address limits.
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

export type ClientAddress = (req: IncomingMessage) => string;

/** Throws when the list names something that is neither an address, a CIDR range nor a keyword. */
export function createClientAddress(trustProxy: boolean | string): ClientAddress {
  if (trustProxy === false) return (req) => req.socket.remoteAddress ?? 'unknown';
  const trust = trustProxy === true ? () => true : proxyAddr.compile(trustProxy.split(',').map((s) => s.trim()));
  return (req) => {
    const chain = proxyAddr.all(req, trust);
    return chain[chain.length - 1] ?? req.socket.remoteAddress ?? 'unknown';
  };
}
