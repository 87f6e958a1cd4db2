/**
 * Twilio's list pages: `PageSize` (1–1000, default 50), `Page` (the client's own count) and
 * `PageToken` (ours: `PA<cursor>` for the page after a cursor, `PB<cursor>` for the one before),
 * answered with the `meta` envelope whose links are absolute and keep the request's filters,
 * because the library follows `next_page_url` verbatim.
 */
import { ok, refuse, type Result } from '../../core/errors.js';
import type { PageOf, PageRequest } from '../../service/ports.js';
import type { Params } from './rest-api.js';
import { whole, type Kind } from './rest-params.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
const PAGING_PARAMS = new Set(['PageSize', 'Page', 'PageToken']);

export interface Paging {
  readonly pageSize: number;
  readonly page: number;
  readonly request: PageRequest;
}

/** `PageToken`: one of ours, `PA<cursor>` or `PB<cursor>` (or empty: the first page). */
const pageToken: Kind<Pick<PageRequest, 'after' | 'before'>> = {
  read(raw, name) {
    if (raw === '') return { ok: true, value: {} };
    const match = /^P([AB])(.{1,64})$/.exec(raw);
    if (!match) return { ok: false, message: `${name} is not a page token this server issued` };
    return { ok: true, value: match[1] === 'A' ? { after: match[2] ?? '' } : { before: match[2] ?? '' } };
  },
  doc: { type: 'string', description: 'The page after (PA…) or before (PB…) a cursor, from a page\'s next_page_url or previous_page_url' },
};

/** The paging parameters every list declares. */
export const PAGING = {
  PageSize: whole(1, MAX_PAGE_SIZE, { default: DEFAULT_PAGE_SIZE }),
  Page: whole(0, Number.MAX_SAFE_INTEGER, { default: 0, description: 'The page number the client counts; links carry it on' }),
  PageToken: pageToken,
};

/** The paging a list was asked for, from the values PAGING declared. */
export function pagingOf(query: { readonly PageSize?: number | undefined; readonly Page?: number | undefined; readonly PageToken?: Pick<PageRequest, 'after' | 'before'> | undefined }): Paging {
  const pageSize = query.PageSize ?? DEFAULT_PAGE_SIZE;
  return { pageSize, page: query.Page ?? 0, request: { limit: pageSize, ...query.PageToken } };
}

/** The positions a positional page token names (`PA<n>`/`PB<n>`), refused if it is not one of ours. */
function positionsOf(request: PageRequest): Result<{ after: number | null; before: number | null }> {
  const position = (cursor: string | undefined): number | null => (cursor !== undefined && /^\d{1,9}$/.test(cursor) ? Number(cursor) : null);
  const after = position(request.after);
  const before = position(request.before);
  if ((request.after !== undefined && after === null) || (request.before !== undefined && before === null)) {
    return refuse('invalid-parameter', 'PageToken is not a page token this server issued', 'PageToken');
  }
  return ok({ after, before });
}

/**
 * A page of a list the store reads by position (`fetch(offset, limit)`), with the same positional
 * cursors as pageArray, so only the page (and one item to learn whether more follow) is read.
 */
export async function pageByPosition<T>(request: PageRequest, fetch: (offset: number, limit: number) => Promise<readonly T[]>): Promise<Result<PageOf<T>>> {
  const positions = positionsOf(request);
  if (!positions.ok) return positions;
  const { after, before } = positions.value;
  let start: number;
  let items: readonly T[];
  let more: boolean;
  if (after === null && before !== null) {
    start = Math.max(0, before - request.limit);
    items = await fetch(start, before - start);
    more = start > 0;
  } else {
    start = after === null ? 0 : after + 1;
    const read = await fetch(start, request.limit + 1);
    more = read.length > request.limit;
    items = read.slice(0, request.limit);
  }
  return ok({ items, firstCursor: items.length > 0 ? String(start) : null, lastCursor: items.length > 0 ? String(start + items.length - 1) : null, more });
}

/** A page of an in-memory list (small lists: workspaces, activities, keys); cursors are positions. */
export function pageArray<T>(items: readonly T[], request: PageRequest): Result<PageOf<T>> {
  const positions = positionsOf(request);
  if (!positions.ok) return positions;
  const { after, before } = positions.value;
  let start = 0;
  let end = Math.min(items.length, request.limit);
  let more = items.length > end;
  if (after !== null) {
    start = after + 1;
    end = Math.min(items.length, start + request.limit);
    more = items.length > end;
  } else if (before !== null) {
    end = Math.min(before, items.length);
    start = Math.max(0, end - request.limit);
    more = start > 0;
  }
  const slice = items.slice(start, Math.max(start, end));
  return ok({ items: slice, firstCursor: slice.length > 0 ? String(start) : null, lastCursor: slice.length > 0 ? String(start + slice.length - 1) : null, more });
}

/** Where a list lives and which of its query parameters are filters to carry into every link. */
export interface ListLocation {
  /** Absolute URL of the list, without a query string. */
  readonly url: string;
  /** The request's query parameters; paging ones are dropped here. */
  readonly query: Params;
}

function linkTo(location: ListLocation, pageSize: number, page: number, token?: string): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(location.query)) {
    if (PAGING_PARAMS.has(key) || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  search.set('PageSize', String(pageSize));
  search.set('Page', String(page));
  if (token !== undefined) search.set('PageToken', token);
  return `${location.url}?${search.toString()}`;
}

/** `{[key]: items, meta}` for one page; `items` are already rendered. */
export function pageEnvelope(key: string, items: readonly unknown[], result: PageOf<unknown>, paging: Paging, location: ListLocation): Record<string, unknown> {
  const { pageSize, page, request } = paging;
  const backward = request.after === undefined && request.before !== undefined;
  const walked = request.after !== undefined || request.before !== undefined;
  const hasNext = backward ? result.lastCursor !== null : result.more;
  const hasPrevious = backward ? result.more : walked && result.firstCursor !== null;
  const currentToken = request.after !== undefined ? `PA${request.after}` : request.before !== undefined ? `PB${request.before}` : undefined;
  return {
    [key]: items,
    meta: {
      page,
      page_size: pageSize,
      first_page_url: linkTo(location, pageSize, 0),
      previous_page_url: hasPrevious ? linkTo(location, pageSize, Math.max(0, page - 1), `PB${result.firstCursor}`) : null,
      url: linkTo(location, pageSize, page, currentToken),
      next_page_url: hasNext ? linkTo(location, pageSize, page + 1, `PA${result.lastCursor}`) : null,
      key,
    },
  };
}
