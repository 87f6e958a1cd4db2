/**
 * Lists as the SDK's `Workspace` class reads them: filter, order (`Ordering=Attribute:asc|desc`),
 * and cut a page after a cursor. A cursor (`AfterSid`, or `NextToken` with `Ordering`) names the
 * last item seen; its position is found in the whole ordered list, before filtering, so a page
 * boundary holds even when that item has since stopped matching the filter. Pure.
 */
import { refuse, ok, type Result } from './errors.js';
import type { Worker } from './resources.js';

export interface OrderKey<T> {
  /** The attribute as Twilio names it in `Ordering` (`DateUpdated`, `DateStatusChanged`). */
  readonly name: string;
  readonly value: (item: T) => number;
}

export type Compare<T> = (a: T, b: T) => number;

/**
 * Reads `Ordering` (`Attribute:asc|desc`, comma-separated). Ties fall back to the SID, so the
 * order is total and a cursor is never ambiguous. Null when no ordering was asked for.
 */
export function parseOrdering<T extends { sid: string }>(source: unknown, keys: readonly OrderKey<T>[]): Result<Compare<T> | null> {
  if (source === undefined || source === null || source === '') return ok(null);
  const wrong = refuse('invalid-parameter', `Ordering ${String(source)} is not valid: use Attribute:asc or Attribute:desc with Attribute one of ${keys.map((k) => k.name).join(', ')}`, 'Ordering');
  if (typeof source !== 'string') return wrong;
  const parts: { key: OrderKey<T>; sign: number }[] = [];
  for (const raw of source.split(',')) {
    const [name = '', direction = 'asc', ...rest] = raw.trim().split(':');
    const key = keys.find((k) => k.name.toLowerCase() === name.trim().toLowerCase());
    const dir = direction.trim().toLowerCase();
    if (!key || rest.length > 0 || (dir !== 'asc' && dir !== 'desc')) return wrong;
    parts.push({ key, sign: dir === 'asc' ? 1 : -1 });
  }
  return ok((a, b) => {
    for (const { key, sign } of parts) {
      const d = key.value(a) - key.value(b);
      if (d !== 0) return sign * d;
    }
    return a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0;
  });
}

export interface ListPage<T> {
  readonly items: readonly T[];
  /** The cursor of the next page (the last item's SID), or null on the last page. */
  readonly next: string | null;
}

/**
 * One page: `all` in list order (already ordered), keeping those `keep` accepts, after the item
 * `cursor` names. A cursor that names nothing in `all` is refused with its value and field.
 */
export function pageAfter<T extends { sid: string }>(
  all: readonly T[], keep: (item: T) => boolean, cursor: { field: string; sid: string } | null, pageSize: number,
): Result<ListPage<T>> {
  let start = 0;
  if (cursor !== null) {
    const at = all.findIndex((i) => i.sid === cursor.sid);
    if (at < 0) return refuse('invalid-parameter', `${cursor.field} ${cursor.sid} is not an item of this list`, cursor.field);
    start = at + 1;
  }
  const items: T[] = [];
  let i = start;
  for (; i < all.length && items.length < pageSize; i++) if (keep(all[i] as T)) items.push(all[i] as T);
  const more = items.length === pageSize && all.slice(i).some(keep);
  return ok({ items, next: more ? (items[items.length - 1] as T).sid : null });
}

/**
 * What a `TargetWorkersExpression` on the workers list reads: the worker's attributes, plus the
 * worker's own fields under their TaskRouter names where the attributes do not define them
 * (Twilio's own example filters on `sid IN [...]`).
 */
export function workerDocument(worker: Worker): Record<string, unknown> {
  let attributes: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(worker.attributes);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) attributes = parsed as Record<string, unknown>;
  } catch {
    // Attributes are validated on the way in; an unreadable one reads as empty.
  }
  return {
    sid: worker.sid, friendly_name: worker.friendlyName, activity_sid: worker.activitySid, activity_name: worker.activityName,
    available: worker.available, ...attributes,
  };
}
