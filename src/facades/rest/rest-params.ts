/**
 * How a REST route declares its parameters, once: each one by its Twilio name with a kind (text,
 * Twilio boolean, whole number in a range, SID of a prefix, ISO date, list, JSON-object string,
 * one of a set, page token), optional unless `required(...)`. `formParams` turns a declaration into
 * the zod schema that Fastify validates the query or form body with (rest-validation.ts), that the
 * handler reads typed values from, and that the OpenAPI document is generated from
 * (rest-openapi.ts). Each kind carries both its check and how it is described, so they cannot
 * drift apart. Unknown parameters are dropped, as Twilio ignores them. Messages name the
 * parameter and are the ones clients have always seen.
 */
import { z } from 'zod';
import { SID_PREFIXES, isSid, type SidKind } from '../../core/sids.js';

/** The JSON Schema a kind is described with in the OpenAPI document. */
export type ParamDoc = Readonly<Record<string, unknown>>;

/** A value read from one parameter, or the message that refuses it. */
export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** One kind of parameter: how a raw value (a list's values, for a list) is read, and how it is described. */
export interface Kind<T> {
  readonly read: (raw: string, name: string) => Read<T>;
  readonly doc: ParamDoc;
  /** Repeated keys (or one comma-separated value) make a list; any other parameter must be given once. */
  readonly list?: boolean;
  /** A JSON-object string: an object posted as `Name[key]` parameters is refused with the fix. */
  readonly jsonObject?: boolean;
  readonly required?: boolean;
}

const valid = <T>(value: T): Read<T> => ({ ok: true, value });
const invalid = (message: string): Read<never> => ({ ok: false, message });

/** The same kind, refused when absent with `${name} is required`. */
export const required = <T>(kind: Kind<T>): Kind<T> & { readonly required: true } => ({ ...kind, required: true });

/** The same kind, with a further check of its value (a value Rollcall does not support, say). */
export function refine<T>(kind: Kind<T>, fails: (value: T) => boolean, message: (name: string, value: T) => string): Kind<T> {
  return {
    ...kind,
    read(raw, name) {
      const read = kind.read(raw, name);
      return read.ok && fails(read.value) ? invalid(message(name, read.value)) : read;
    },
  };
}

export const text = (doc: ParamDoc = {}): Kind<string> => ({ read: valid, doc: { type: 'string', ...doc } });

/** Text that must not be blank when given. */
export const nonEmptyText = (doc: ParamDoc = {}): Kind<string> => ({
  read: (raw, name) => (raw.trim() === '' ? invalid(`${name} must not be empty`) : valid(raw)),
  doc: { type: 'string', minLength: 1, ...doc },
});

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** A Twilio boolean: `true`/`false` in any case (and 1/0, yes/no, as Rollcall always took). */
export const flag = (doc: ParamDoc = {}): Kind<boolean> => ({
  read(raw, name) {
    const lower = raw.toLowerCase();
    if (TRUE.has(lower)) return valid(true);
    return FALSE.has(lower) ? valid(false) : invalid(`${name} must be true or false`);
  },
  doc: { type: 'boolean', ...doc },
});

export const whole = (min: number, max: number, doc: ParamDoc = {}): Kind<number> => ({
  read(raw, name) {
    const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) return invalid(`${name} ${raw} is not valid: it must be a whole number from ${min} to ${max}`);
    return valid(n);
  },
  doc: { type: 'integer', minimum: min, maximum: max, ...doc },
});

export const sid = (kind: SidKind, doc: ParamDoc = {}): Kind<string> => ({
  read: (raw, name) => (isSid(kind, raw) ? valid(raw) : invalid(`${name} ${raw} is not valid: it must be a SID, two letters and 32 hex digits, e.g. ${SID_PREFIXES[kind]}…`)),
  doc: { type: 'string', pattern: `^${SID_PREFIXES[kind]}[0-9a-f]{32}$`, ...doc },
});

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 date-time (`2026-11-25T14:00:00Z`, or a bare date meaning midnight UTC), as epoch ms. */
export const date = (doc: ParamDoc = {}): Kind<number> => ({
  read(raw, name) {
    const ms = ISO_DATE.test(raw) ? Date.parse(raw) : NaN;
    return Number.isNaN(ms) ? invalid(`${name} ${raw} is not valid: it must be an ISO 8601 date-time such as 2026-11-25T14:00:00Z`) : valid(ms);
  },
  doc: { type: 'string', format: 'date-time', ...doc },
});

/** One of a closed set; `message` words the refusal (each parameter has said it its own way). */
export const oneOf = <const V extends string>(values: readonly V[], message: (name: string, value: string) => string, doc: ParamDoc = {}): Kind<V> => ({
  read: (raw, name) => ((values as readonly string[]).includes(raw) ? valid(raw as V) : invalid(message(name, raw))),
  doc: { type: 'string', enum: values, ...doc },
});

/** A JSON string holding an object (`Attributes`), kept as the string. */
export const jsonObject = (doc: ParamDoc = {}): Kind<string> => ({
  read(raw, name) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return invalid(`${name} must be valid JSON`);
    }
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? valid(raw) : invalid(`${name} must be a JSON object`);
  },
  doc: { type: 'string', description: 'A JSON object, as a string', ...doc },
  jsonObject: true,
});

/**
 * Repeated keys or comma-separated values, each read as `item`; refused when it holds nothing. The
 * values of repeated keys arrive joined with commas (rest-validation.ts), so both forms read alike.
 */
export function list<T>(item: Kind<T>, doc: ParamDoc = {}): Kind<T[]> {
  return {
    read(raw, name) {
      const values = raw.split(',').map((v) => v.trim()).filter((v) => v !== '');
      if (values.length === 0) return invalid(`${name} must not be empty`);
      const out: T[] = [];
      for (const value of values) {
        const read = item.read(value, name);
        if (!read.ok) return read;
        out.push(read.value);
      }
      return valid(out);
    },
    doc: { type: 'array', items: item.doc, ...doc },
    list: true,
  };
}

/** A parameter refused whenever it is given, with `message`; `doc` says why for the OpenAPI document. */
export const refused = (message: (name: string, value: string) => string, why: string): Kind<never> => ({
  read: (raw, name) => invalid(message(name, raw)),
  doc: { description: `Not supported by Rollcall: ${why}. Refused when given.` },
});

/** A parameter Twilio knows but Rollcall does not implement: refused when given, rather than ignored. */
export const unsupported = (why: string): Kind<never> => refused((name) => `${name} is not supported yet: ${why}`, why);

/** The typed values a declaration gives its handler: required ones always there, the others optional. */
export type ParamsOf<S extends Readonly<Record<string, Kind<unknown>>>> = {
  readonly [K in keyof S as S[K] extends { readonly required: true } ? K : never]: KindValue<S[K]>;
} & {
  readonly [K in keyof S as S[K] extends { readonly required: true } ? never : K]?: KindValue<S[K]> | undefined;
};
type KindValue<K> = K extends Kind<infer T> ? T : never;

/** What formParams records of a declaration, for the normalising step that runs before zod. */
export interface FormShape {
  readonly lists: ReadonlySet<string>;
  readonly jsonObjects: ReadonlySet<string>;
}

const FORM_SHAPES = new WeakMap<z.ZodType, FormShape>();

/** The form shape of a schema made by formParams; undefined for another schema (Flex's JSON body). */
export const formShapeOf = (schema: z.ZodType): FormShape | undefined => FORM_SHAPES.get(schema);

/**
 * The zod schema for a query string or form body. Its input is normalised first (rest-validation.ts)
 * so that each parameter is one string: a list's repeated values joined with commas.
 */
export function formParams<S extends Readonly<Record<string, Kind<unknown>>>>(shape: S): z.ZodType<ParamsOf<S>> {
  const fields: Record<string, z.ZodType> = {};
  for (const [name, kind] of Object.entries(shape) as [string, Kind<unknown>][]) fields[name] = fieldSchema(name, kind);
  const schema = z.object(fields) as unknown as z.ZodType<ParamsOf<S>>;
  const names = Object.entries(shape) as [string, Kind<unknown>][];
  FORM_SHAPES.set(schema, {
    lists: new Set(names.filter(([, k]) => k.list).map(([n]) => n)),
    jsonObjects: new Set(names.filter(([, k]) => k.jsonObject).map(([n]) => n)),
  });
  return schema;
}

function fieldSchema(name: string, kind: Kind<unknown>): z.ZodType {
  // Normalised input is one string where it can be; what is not (a scalar given twice, an object) is
  // refused by notOneString. The kind's doc replaces zod's `{type: 'string'}` in the JSON Schema.
  const schema = z.string({ error: (issue) => notOneString(name, issue.input, kind.list === true) }).transform((raw, ctx) => {
    const read = kind.read(raw, name);
    if (read.ok) return read.value;
    ctx.addIssue({ code: 'custom', message: read.message });
    return z.NEVER;
  }).meta(kind.doc);
  return kind.required ? schema : schema.optional();
}

function notOneString(name: string, input: unknown, isList: boolean): string {
  if (input === undefined) return `${name} is required`;
  return Array.isArray(input) && !isList ? `${name} must be given once` : `${name} must be a string`;
}

/** The object without its undefined fields (absent filters and patch fields). */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
