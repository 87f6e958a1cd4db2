/** Keyset pages over an integer cursor (an identity column) on PostgreSQL. */
import { ok, refuse, type Result } from '../../core/errors.js';
import type { PageOf, PageRequest } from '../../service/ports.js';
import type { Sql } from './database.js';

/**
 * One page: `statement(op, order)` selects rows with `row_cursor` strictly after (`>`, ASC) or
 * before (`<`, DESC) the cursor given as the parameter after `params`, and at most the next one as
 * a limit. One row more than asked tells whether there is more.
 */
export async function pageOf<R extends { row_cursor: number }, T>(
  sql: Sql, page: PageRequest, params: readonly unknown[], statement: (op: '>' | '<', order: 'ASC' | 'DESC') => string, map: (row: R) => T,
): Promise<Result<PageOf<T>>> {
  const token = page.after ?? page.before;
  const cursor = token === undefined ? null : /^\d{1,15}$/.test(token) ? Number(token) : undefined;
  if (cursor === undefined) return refuse('invalid-parameter', 'PageToken is not a page token this server issued', 'PageToken');
  const backward = page.after === undefined && page.before !== undefined;
  const start = cursor ?? (backward ? Number.MAX_SAFE_INTEGER : 0);
  const rows = await sql.rows<R>(statement(backward ? '<' : '>', backward ? 'DESC' : 'ASC'), [...params, start, page.limit + 1]);
  const more = rows.length > page.limit;
  const kept = rows.slice(0, page.limit);
  if (backward) kept.reverse();
  const first = kept[0];
  const last = kept[kept.length - 1];
  return ok({ items: kept.map(map), firstCursor: first ? String(first.row_cursor) : null, lastCursor: last ? String(last.row_cursor) : null, more });
}
