/**
 * Reading PascalCase parameters from a query string or a form body, as the `twilio` library
 * sends them: strings, `true`/`false`, repeated keys for lists, JSON-string `Attributes`.
 * Unknown parameters are ignored, as Twilio does. The first bad value is kept as a refusal that
 * names the parameter; the handler checks `refusal` once after reading everything.
 */
import { refuse, type Refusal } from '../../core/errors.js';
import { SID_PREFIXES, isSid, type SidKind } from '../../core/sids.js';

export type Params = Readonly<Record<string, unknown>>;

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

export class ParamReader {
  private problem: Refusal | null = null;

  constructor(private readonly params: Params) {}

  /** The first problem found, if any. */
  get refusal(): { ok: false; refusal: Refusal } | null {
    return this.problem ? { ok: false, refusal: this.problem } : null;
  }

  has(name: string): boolean {
    return this.params[name] !== undefined;
  }

  string(name: string): string | undefined {
    const value = this.params[name];
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return this.fail(name, `${name} must be given once`);
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return this.fail(name, `${name} must be a string`);
  }

  /** A required string; '' when it is missing or bad, which the recorded refusal then reports. */
  required(name: string): string {
    if (this.params[name] === undefined) return this.fail(name, `${name} is required`) ?? '';
    return this.string(name) ?? '';
  }

  boolean(name: string): boolean | undefined {
    const value = this.params[name];
    if (typeof value === 'boolean') return value;
    const s = this.string(name);
    if (s === undefined) return undefined;
    if (TRUE.has(s.toLowerCase())) return true;
    if (FALSE.has(s.toLowerCase())) return false;
    return this.fail(name, `${name} must be true or false`);
  }

  integer(name: string, min: number, max: number): number | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    const n = /^-?\d+$/.test(s.trim()) ? Number(s) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) return this.fail(name, `${name} ${s} is not valid: it must be a whole number from ${min} to ${max}`);
    return n;
  }

  sid(kind: SidKind, name: string): string | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    if (!isSid(kind, s)) return this.fail(name, `${name} ${s} is not valid: it must be a SID, two letters and 32 hex digits, e.g. ${SID_PREFIXES[kind]}…`);
    return s;
  }

  /** An ISO 8601 date-time (`2026-11-25T14:00:00Z`, or a bare date meaning midnight UTC), as epoch ms. */
  date(name: string): number | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    const ms = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(s) ? Date.parse(s) : NaN;
    if (Number.isNaN(ms)) return this.fail(name, `${name} ${s} is not valid: it must be an ISO 8601 date-time such as 2026-11-25T14:00:00Z`);
    return ms;
  }

  /** Repeated keys or one comma-separated value, as a list. */
  list(name: string): string[] | undefined {
    const value = this.params[name];
    if (value === undefined) return undefined;
    const items = (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [String(v)]));
    const list = items.map((v) => v.trim()).filter((v) => v !== '');
    return list.length > 0 ? list : this.fail(name, `${name} must not be empty`);
  }

  /**
   * `Attributes`: a JSON string holding an object. An object passed to the library arrives as
   * `Attributes[key]` parameters, refused with the fix rather than silently ignored.
   */
  attributes(name = 'Attributes'): string | undefined {
    if (Object.keys(this.params).some((k) => k.startsWith(`${name}[`))) {
      return this.fail(name, `${name} must be a JSON string; an object was sent as ${name}[…] parameters (pass JSON.stringify(attributes))`);
    }
    const s = this.string(name);
    if (s === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch {
      return this.fail(name, `${name} must be valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return this.fail(name, `${name} must be a JSON object`);
    return s;
  }

  /** Refuses a parameter Twilio knows but Rollcall does not implement yet, rather than ignoring it. */
  unsupported(name: string, why: string): void {
    if (this.params[name] !== undefined) this.fail(name, `${name} is not supported yet: ${why}`);
  }

  fail(field: string, message: string): undefined {
    this.problem ??= refuse('invalid-parameter', message, field).refusal;
    return undefined;
  }
}

/** The object without its undefined fields (absent filters and patch fields). */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
