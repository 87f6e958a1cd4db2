import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { date, flag, formParams, jsonObject, list, oneOf, required, sid, text, unsupported, whole } from './rest-params.js';
import { parseParams } from './rest-validation.js';

const SCHEMA = formParams({
  FriendlyName: required(text()),
  Available: flag(),
  Priority: whole(0, 10),
  ActivitySid: sid('activity'),
  Status: list(oneOf(['pending', 'assigned'], (name, v) => `${name} ${v} is not a status`)),
  Attributes: jsonObject(),
  StartDate: date(),
  Ordering: unsupported('not here'),
});

const refusal = (raw: unknown): string | undefined => {
  const read = parseParams(SCHEMA, raw);
  return read.ok ? undefined : read.refusal.message;
};

describe('route parameter declarations', () => {
  it('read typed values: booleans in any case, whole numbers, lists from repeated or comma-separated keys, dates', () => {
    const read = parseParams(SCHEMA, { FriendlyName: 'A', Available: 'TRUE', Priority: '7', Status: ['pending', 'assigned,pending'], StartDate: '2026-11-25', Unknown: 'x' });
    expect(read).toEqual({ ok: true, value: { FriendlyName: 'A', Available: true, Priority: 7, Status: ['pending', 'assigned', 'pending'], StartDate: Date.parse('2026-11-25') } });
    expect(parseParams(SCHEMA, { FriendlyName: 'A', Available: 'no', Status: 'assigned' })).toMatchObject({ ok: true, value: { Available: false, Status: ['assigned'] } });
    // A JSON body's numbers and booleans read as their text would.
    expect(parseParams(SCHEMA, { FriendlyName: 'A', Available: false, Priority: 3 })).toMatchObject({ ok: true, value: { Available: false, Priority: 3 } });
  });

  it.each([
    [{}, 'FriendlyName is required'],
    [{ FriendlyName: ['a', 'b'] }, 'FriendlyName must be given once'],
    [{ FriendlyName: { a: 1 } }, 'FriendlyName must be a string'],
    [{ FriendlyName: 'A', Available: 'maybe' }, 'Available must be true or false'],
    [{ FriendlyName: 'A', Priority: '11' }, 'Priority 11 is not valid: it must be a whole number from 0 to 10'],
    [{ FriendlyName: 'A', Priority: '1.5' }, 'Priority 1.5 is not valid: it must be a whole number from 0 to 10'],
    [{ FriendlyName: 'A', ActivitySid: 'WK00000000000000000000000000000000' }, 'ActivitySid WK00000000000000000000000000000000 is not valid: it must be a SID, two letters and 32 hex digits, e.g. WA…'],
    [{ FriendlyName: 'A', Status: ['pending', 'gone'] }, 'Status gone is not a status'],
    [{ FriendlyName: 'A', Status: ' , ' }, 'Status must not be empty'],
    [{ FriendlyName: 'A', Attributes: '{' }, 'Attributes must be valid JSON'],
    [{ FriendlyName: 'A', Attributes: '[]' }, 'Attributes must be a JSON object'],
    [{ FriendlyName: 'A', 'Attributes[x]': '1' }, 'Attributes must be a JSON string; an object was sent as Attributes[…] parameters (pass JSON.stringify(attributes))'],
    [{ FriendlyName: 'A', StartDate: 'Monday' }, 'StartDate Monday is not valid: it must be an ISO 8601 date-time such as 2026-11-25T14:00:00Z'],
    [{ FriendlyName: 'A', Ordering: 'x' }, 'Ordering is not supported yet: not here'],
    // The first problem in declaration order is the one reported.
    [{ Priority: 'x', Available: 'maybe', FriendlyName: 'A' }, 'Available must be true or false'],
    ['a string body', 'The request body must be form parameters or a JSON object'],
  ])('refuse %j: %s', (raw, message) => {
    expect(refusal(raw)).toBe(message);
  });

  it('describe each kind in JSON Schema from the same declaration', () => {
    const doc = z.toJSONSchema(SCHEMA, { io: 'input', target: 'openapi-3.0' }) as { properties: Record<string, unknown>; required: string[] };
    expect(doc.required).toEqual(['FriendlyName']);
    expect(doc.properties).toMatchObject({
      Available: { type: 'boolean' }, Priority: { type: 'integer', minimum: 0, maximum: 10 }, ActivitySid: { type: 'string', pattern: '^WA[0-9a-f]{32}$' },
      Status: { type: 'array', items: { type: 'string', enum: ['pending', 'assigned'] } }, StartDate: { type: 'string', format: 'date-time' },
    });
  });
});
