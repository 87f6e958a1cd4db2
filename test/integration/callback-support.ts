/** Reading callback deliveries (the CallbackDeliveries extension) and checking signatures, for the callback tests. */
import { expect } from 'vitest';
import type { ReceivedCallback } from '../support/callback-server.js';
import { twilio, type TwilioClient } from './rest-support.js';

export interface Delivery { id: number; kind: string; status: string; event_type: string; event_sid: string; attempts: number; last_http_status: number | null; last_error: string | null; answer: string | null; last_url: string | null }

export async function deliveries(client: TwilioClient, baseUrl: string, workspaceSid: string, query = ''): Promise<Delivery[]> {
  const response = await client.request({ method: 'get', uri: `${baseUrl}/v1/Workspaces/${workspaceSid}/CallbackDeliveries${query}` });
  expect(response.statusCode).toBe(200);
  return (response.body as { callback_deliveries: Delivery[] }).callback_deliveries;
}

/** True when the official library's `validateRequest` accepts the callback's X-Twilio-Signature. */
export const signedBy = (authToken: string, r: ReceivedCallback): boolean => twilio.validateRequest(authToken, String(r.headers['x-twilio-signature']), r.url, r.params);
