/**
 * One worker in the Teams view: a grid row of plain elements styled by row-styles.tsx (see there why).
 * Memoised: a row re-renders only when its own WorkerRow object, its place in the table or the
 * activity choices change; the ticking texts inside write themselves.
 */
import { memo } from 'react';
import type { ReactNode } from 'react';
import type { WorkerRow } from '../contract';
import { automaticChangeWords, plural, reasonWords } from '../describe';
import { Since, Until } from './clock';
import { stateOf } from './team-filter';

export interface ActivityChoice {
  sid: string;
  name: string;
}

function Connection({ row }: { row: WorkerRow }): ReactNode {
  if (row.connections > 0) {
    return (
      <>
        <span className="rc-badge rc-badge-success">Connected</span>
        <span className="rc-small">on {plural(row.connections, 'session')}</span>
      </>
    );
  }
  const d = row.disconnected;
  if (!d) return <span className="rc-badge rc-badge-default">Not connected</span>;
  return (
    <>
      <span className="rc-badge rc-badge-warning">Disconnected</span>
      <span className="rc-small">for <Since at={d.last_seen_at} testId="disconnected-for" />: {reasonWords(d.reason)}</span>
      {d.exempt ? <span className="rc-weak">Its session asked for no automatic logout.</span> : null}
      {d.overridden ? <span className="rc-weak">Status set by a person since.</span> : null}
    </>
  );
}

export const TeamRow = memo(function TeamRow({ row, index, choices, onSetActivity, measure }: {
  row: WorkerRow;
  /** 0-based among the shown rows. */
  index: number;
  choices: readonly ActivityChoice[];
  onSetActivity: (row: WorkerRow, activitySid: string) => void;
  /** Ref callback that measures the row's height for the window (row-window.ts). */
  measure: (el: HTMLElement | null) => (() => void) | undefined;
}): ReactNode {
  return (
    <div role="row" ref={measure} aria-rowindex={index + 2} className="rc-row" data-worker-sid={row.sid} data-state={stateOf(row)}>
      <div role="cell">
        <div className="rc-strong" data-testid="worker-name">{row.friendly_name}</div>
        <div className="rc-sid" title={row.sid}>{row.sid}</div>
      </div>
      <div role="cell" data-testid="activity">
        <div className="rc-stack">
          <span className={`rc-badge ${row.available ? 'rc-badge-success' : 'rc-badge-neutral'}`} data-testid={`activity-${row.activity_name}`}>
            {row.activity_name}
          </span>
          <span className="rc-weak rc-nowrap">for <Since at={row.status_changed_at} testId="time-in-activity" /></span>
        </div>
      </div>
      <div role="cell" data-testid="state"><div className="rc-stack"><Connection row={row} /></div></div>
      <div role="cell" data-testid="logout">
        {row.logout_due_at !== null ? (
          <div className="rc-stack">
            <span className="rc-badge rc-badge-error">Logout pending</span>
            <span className="rc-small rc-nowrap">in <Until at={row.logout_due_at} testId="countdown" /></span>
          </div>
        ) : <span className="rc-weak" aria-label="No automatic logout pending">—</span>}
      </div>
      <div role="cell" data-testid="last-automatic">
        {row.last_automatic
          ? <span>{automaticChangeWords(row.last_automatic)}</span>
          : <span className="rc-weak" aria-label="No automatic change">—</span>}
      </div>
      <div role="cell">
        <select className="rc-select" aria-label={`Set activity of ${row.friendly_name}`} value={row.activity_sid} data-testid="set-activity"
          onChange={(e) => onSetActivity(row, e.target.value)}>
          {choices.map((a) => <option key={a.sid} value={a.sid}>{a.name}</option>)}
        </select>
      </div>
    </div>
  );
});
