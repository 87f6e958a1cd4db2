import { createHmac } from 'node:crypto';
import type { CallbackParams } from '../core/callbacks.js';

/**
 * Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1, keyed with the account's auth token, of the
 * full URL followed by every POST parameter's name and value, names in sorted order. The
 * official `twilio` library's `validateRequest` checks exactly this.
 */
export function twilioSignature(authToken: string, url: string, params: CallbackParams): string {
  const data = Object.keys(params).sort().reduce((acc, key) => acc + key + (params[key] ?? ''), url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}
