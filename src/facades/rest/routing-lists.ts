/**
 * Lists of routing resources that the routing store answers whole (a workspace holds at most
 * thousands of queues, workflows, channels and a task's reservations), so a page
 * is cut here with paging.ts's positional cursors, after filtering and ordering, and wrapped in the
 * `meta` envelope whose links keep the request's filters. Tasks, which grow without bound, are read
 * a page at a time instead (routing-task-routes.ts, `sliceTasks`).
 */
import type { Result } from '../../core/errors.js';
import { pageArray, pageEnvelope, type Paging } from './paging.js';
import type { ParamReader } from './params.js';
import { answer, type RestAnswer, type RestCall } from './rest-api.js';

/** One page of `items` (already filtered and ordered), rendered, under `key`. */
export function answerPage<T>(call: RestCall, key: string, items: readonly T[], paging: Paging, render: (item: T) => unknown): Result<RestAnswer> {
  const page = pageArray(items, paging.request);
  if (!page.ok) return page;
  return answer(pageEnvelope(key, page.value.items.map(render), page.value, paging, { url: call.url, query: call.query }));
}

export interface OrderingKey<T> {
  /** The attribute as Twilio names it in `Ordering` (`DateCreated`, `Priority`). */
  readonly name: string;
  readonly value: (item: T) => number;
}

/**
 * `Ordering=Attribute:asc|desc[,Attribute:asc|desc]`, as Twilio's lists take it; returns a
 * comparator, or null (and a refusal in `p`) when the value names something else.
 */
export function readOrdering<T>(p: ParamReader, keys: readonly OrderingKey<T>[]): ((a: T, b: T) => number) | null {
  const parts = readOrderingKeys(p, keys.map((k) => k.name));
  if (!parts) return null;
  const chosen = parts.map(({ name, descending }) => ({ key: keys.find((k) => k.name === name) as OrderingKey<T>, sign: descending ? -1 : 1 }));
  return (a, b) => {
    for (const { key, sign } of chosen) {
      const d = key.value(a) - key.value(b);
      if (d !== 0) return sign * d;
    }
    return 0;
  };
}

/**
 * The attributes `Ordering` names, in order, each as spelled in `names`; undefined when absent or
 * refused (the refusal is in `p`). With `once`, an attribute named twice is refused too.
 */
export function readOrderingKeys<K extends string>(p: ParamReader, names: readonly K[], once = false): { name: K; descending: boolean }[] | undefined {
  const source = p.string('Ordering');
  if (source === undefined || source.trim() === '') return undefined;
  const parts: { name: K; descending: boolean }[] = [];
  for (const raw of source.split(',')) {
    const [given = '', direction = 'asc', ...rest] = raw.trim().split(':');
    const name = names.find((n) => n.toLowerCase() === given.trim().toLowerCase());
    const dir = direction.trim().toLowerCase();
    if (!name || rest.length > 0 || (dir !== 'asc' && dir !== 'desc') || (once && parts.some((x) => x.name === name))) {
      p.fail('Ordering', `Ordering must be Attribute:asc or Attribute:desc, comma-separated, with Attribute one of ${names.join(', ')}${once ? ', each once' : ''}`);
      return undefined;
    }
    parts.push({ name, descending: dir === 'desc' });
  }
  return parts;
}

/** Sorts a copy when a comparator was asked for; the store's order (creation) otherwise. */
export function ordered<T>(items: readonly T[], compare: ((a: T, b: T) => number) | null): readonly T[] {
  return compare ? [...items].sort(compare) : items;
}
