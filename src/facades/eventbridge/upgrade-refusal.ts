/**
 * Answers to a refused WebSocket upgrade: plain HTTP with a JSON `{message}` body, written on the
 * raw socket before any WebSocket exists (the SDK retries about once a second).
 */
import type { Duplex } from 'node:stream';
import type { Refusal } from '../../core/errors.js';
import { EB_STATUS } from './dialect.js';

export function rejectRefusal(socket: Duplex, refusal: Refusal): void {
  rejectUpgrade(socket, EB_STATUS[refusal.code], refusal.message);
}

/** `retryAfterS` adds a Retry-After header (admission control: try again in that many seconds). */
export function rejectUpgrade(socket: Duplex, status: number, message: string, retryAfterS?: number): void {
  const body = JSON.stringify({ message });
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' }[status] ?? 'Error';
  const retry = retryAfterS === undefined ? '' : `Retry-After: ${retryAfterS}\r\n`;
  // The client may have gone already: the socket's error listener (agent-channel.ts) takes the EPIPE.
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${retry}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
