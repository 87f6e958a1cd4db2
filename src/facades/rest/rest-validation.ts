/**
 * Validation of REST input against the routes' declared schemas (rest-params.ts, or plain zod for
 * Flex's JSON body): the Fastify validator compiler of the REST scope, and `parseParams` for
 * callers outside Fastify's validation (the console reads report parameters by the same schemas).
 * A refused value becomes a ValidationRefusal carrying the message of the first problem, in
 * declaration order, naming the parameter; rest-api.ts answers it as a Twilio error body, so no
 * zod or Fastify text reaches a client.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { ok, refuse, type Result } from '../../core/errors.js';
import { formShapeOf, type FormShape } from './rest-params.js';

export const BODY_NOT_PARAMS = 'The request body must be form parameters or a JSON object';

/** Thrown to Fastify by a failed validation; its message is the client's. */
export class ValidationRefusal extends Error {
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

/** `raw` (a query or body) read by `schema`: typed values, or the refusal of the first problem. */
export function parseParams<T>(schema: z.ZodType<T>, raw: unknown): Result<T> {
  const read = readWith(schema, raw);
  return read instanceof ValidationRefusal ? refuse('invalid-parameter', read.message, read.field) : ok(read);
}

function readWith<T>(schema: z.ZodType<T>, raw: unknown): T | ValidationRefusal {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) return new ValidationRefusal(BODY_NOT_PARAMS);
  const params = (raw ?? {}) as Record<string, unknown>;
  const shape = formShapeOf(schema);
  const input = shape ? normalise(params, shape) : params;
  if (input instanceof ValidationRefusal) return input;
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const [first] = parsed.error.issues;
  const field = first?.path.map(String).join('.');
  return new ValidationRefusal(first?.message ?? 'The request parameters are not valid', field === '' ? undefined : field);
}

/**
 * Form and query values as the twilio library sends them, made into one string per parameter where
 * that is unambiguous: a list's repeated values joined with commas; a number or boolean (a JSON
 * body) as its text. What is left (a scalar given twice, an object) the field's schema refuses,
 * so problems are reported in declaration order. Undeclared parameters are left for zod to drop.
 */
function normalise(params: Record<string, unknown>, shape: FormShape): Record<string, unknown> | ValidationRefusal {
  for (const name of shape.jsonObjects) {
    if (Object.keys(params).some((k) => k.startsWith(`${name}[`))) {
      return new ValidationRefusal(`${name} must be a JSON string; an object was sent as ${name}[…] parameters (pass JSON.stringify(attributes))`, name);
    }
  }
  const out: Record<string, unknown> = { ...params };
  for (const [name, value] of Object.entries(params)) {
    if (isPrimitive(value)) out[name] = String(value);
    else if (Array.isArray(value) && shape.lists.has(name) && value.every(isPrimitive)) out[name] = value.map(String).join(',');
  }
  return out;
}

const isPrimitive = (value: unknown): value is string | number | boolean => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** The REST scope's validator compiler: every schema there is zod, made by formParams or by hand. */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema }) => (data: unknown) => {
  const read = readWith(schema, data);
  return read instanceof ValidationRefusal ? { error: read } : { value: read };
};
