/**
 * Lists of routing resources that the routing store answers whole (a workspace holds at most
 * thousands of queues, workflows, channels and a task's reservations), so a page
 * is cut here with paging.ts's positional cursors, after filtering and ordering, and wrapped in the
 * `meta` envelope whose links keep the request's filters. Tasks, which grow without bound, are read
 * a page at a time instead (routing-task-routes.ts, `sliceTasks`).
 */
import type { Result } from '../../core/errors.js';
import { pageArray, pageEnvelope, type Paging } from './paging.js';
import { answer, type RestAnswer, type RestCall } from './rest-api.js';
import type { Kind } from './rest-params.js';

/** One page of `items` (already filtered and ordered), rendered, under `key`. */
export function answerPage<T>(call: RestCall, key: string, items: readonly T[], paging: Paging, render: (item: T) => unknown): Result<RestAnswer> {
  const page = pageArray(items, paging.request);
  if (!page.ok) return page;
  return answer(pageEnvelope(key, page.value.items.map(render), page.value, paging, { url: call.url, query: call.rawQuery }));
}

/** The attributes `Ordering` names, in order, each as spelled in the declaration. */
export type OrderingKeys<K extends string> = readonly { readonly name: K; readonly descending: boolean }[];

/**
 * `Ordering=Attribute:asc|desc[,Attribute:asc|desc]`, as Twilio's lists take it, over `names`
 * (matched in any case); with `once`, an attribute named twice is refused too. Blank: no order.
 */
export function ordering<K extends string>(names: readonly K[], once = false): Kind<OrderingKeys<K> | null> {
  return {
    read(raw, name) {
      if (raw.trim() === '') return { ok: true, value: null };
      const parts: { name: K; descending: boolean }[] = [];
      for (const part of raw.split(',')) {
        const [given = '', direction = 'asc', ...rest] = part.trim().split(':');
        const key = names.find((n) => n.toLowerCase() === given.trim().toLowerCase());
        const dir = direction.trim().toLowerCase();
        if (!key || rest.length > 0 || (dir !== 'asc' && dir !== 'desc') || (once && parts.some((x) => x.name === key))) {
          return { ok: false, message: `${name} must be Attribute:asc or Attribute:desc, comma-separated, with Attribute one of ${names.join(', ')}${once ? ', each once' : ''}` };
        }
        parts.push({ name: key, descending: dir === 'desc' });
      }
      return { ok: true, value: parts };
    },
    doc: { type: 'string', pattern: `^((${names.join('|')}):(asc|desc),?)+$`, description: `Attribute:asc or Attribute:desc, comma-separated; Attribute one of ${names.join(', ')}` },
  };
}

/** A comparator for the keys `Ordering` named (null: the store's order). */
export function comparatorOf<T>(keys: OrderingKeys<string> | null | undefined, valueOf: Readonly<Record<string, (item: T) => number>>): ((a: T, b: T) => number) | null {
  if (!keys) return null;
  const chosen = keys.map(({ name, descending }) => ({ value: valueOf[name] ?? (() => 0), sign: descending ? -1 : 1 }));
  return (a, b) => {
    for (const { value, sign } of chosen) {
      const d = value(a) - value(b);
      if (d !== 0) return sign * d;
    }
    return 0;
  };
}

/** Sorts a copy when a comparator was asked for; the store's order (creation) otherwise. */
export function ordered<T>(items: readonly T[], compare: ((a: T, b: T) => number) | null): readonly T[] {
  return compare ? [...items].sort(compare) : items;
}
