/** Pages over integer row cursors (`rowid`, `seq`), shared by the SQLite list queries. */
import type BetterSqlite3 from 'better-sqlite3';
import { ok, refuse, type Result } from '../../core/errors.js';
import type { PageOf, PageRequest } from '../../service/ports.js';

export type Cursored<R> = R & { row_cursor: number };

/** Keyset paging over `rowid`-like integer cursors: one more row than asked tells if there is more. */
export function pageOf<R extends { row_cursor: number }, T>(
  page: PageRequest,
  params: Record<string, unknown>,
  after: BetterSqlite3.Statement<Record<string, unknown>, R>,
  before: BetterSqlite3.Statement<Record<string, unknown>, R>,
  map: (row: R) => T,
): Result<PageOf<T>> {
  const token = page.after ?? page.before;
  const cursor = token === undefined ? 0 : /^\d{1,15}$/.test(token) ? Number(token) : null;
  if (cursor === null) return refuse('invalid-parameter', 'PageToken is not a page token this server issued', 'PageToken');
  const backward = page.after === undefined && page.before !== undefined;
  const rows = (backward ? before : after).all({ ...params, cursor, limit: page.limit + 1 });
  const more = rows.length > page.limit;
  const kept = rows.slice(0, page.limit);
  if (backward) kept.reverse();
  const first = kept[0];
  const last = kept[kept.length - 1];
  return ok({
    items: kept.map(map),
    firstCursor: first ? String(first.row_cursor) : null,
    lastCursor: last ? String(last.row_cursor) : null,
    more,
  });
}
