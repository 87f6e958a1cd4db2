/** Which rows the Teams view shows: pure functions of the rows and the filter, so they are cheap to rerun every frame. */
import type { WorkerRow } from '../contract';

export type ConnectionFilter = 'all' | 'connected' | 'disconnected' | 'pending-logout';

export interface TeamFilter {
  name: string;
  activitySid: string;
  state: ConnectionFilter;
}

export const NO_FILTER: TeamFilter = { name: '', activitySid: '', state: 'all' };

export type RowState = 'connected' | 'pending-logout' | 'disconnected';

export function stateOf(row: WorkerRow): RowState {
  if (row.connections > 0) return 'connected';
  return row.logout_due_at !== null ? 'pending-logout' : 'disconnected';
}

export function matches(row: WorkerRow, filter: TeamFilter, needle: string): boolean {
  if (filter.activitySid && row.activity_sid !== filter.activitySid) return false;
  if (filter.state !== 'all') {
    const state = stateOf(row);
    if (filter.state === 'connected' && state !== 'connected') return false;
    // A worker pending logout is disconnected too.
    if (filter.state === 'disconnected' && state === 'connected') return false;
    if (filter.state === 'pending-logout' && state !== 'pending-logout') return false;
  }
  return needle === '' || row.friendly_name.toLowerCase().includes(needle) || row.sid.toLowerCase().includes(needle);
}

export interface TeamCounts {
  total: number;
  connected: number;
  disconnected: number;
  pending: number;
}

export function select(rows: ReadonlyMap<string, WorkerRow>, filter: TeamFilter): { shown: WorkerRow[]; counts: TeamCounts } {
  const needle = filter.name.trim().toLowerCase();
  const shown: WorkerRow[] = [];
  const counts: TeamCounts = { total: rows.size, connected: 0, disconnected: 0, pending: 0 };
  for (const row of rows.values()) {
    const state = stateOf(row);
    if (state === 'connected') counts.connected++;
    else counts.disconnected++;
    if (state === 'pending-logout') counts.pending++;
    if (matches(row, filter, needle)) shown.push(row);
  }
  return { shown, counts };
}
