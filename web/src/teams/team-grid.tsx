/**
 * The Teams view's table: ARIA table roles on a CSS grid (row-styles.tsx says why not <table>).
 * Only a window of the rows is mounted (row-window.ts); the row group's padding stands in for the
 * rest, and aria-rowcount / aria-rowindex tell assistive technology the whole table's size and
 * where each mounted row sits in it.
 */
import type { ReactNode, Ref } from 'react';

const HEADERS = ['Worker', 'Activity', 'Connection', 'Automatic logout', 'Last automatic change', 'Set activity'];

export function TeamGrid({ rowCount, bodyRef, padTop, padBottom, children }: {
  /** Rows shown (after filtering), not counting the header row. */
  rowCount: number;
  bodyRef: Ref<HTMLDivElement>;
  padTop: number;
  padBottom: number;
  children: ReactNode;
}): ReactNode {
  return (
    <div className="rc-scroll">
      <div role="table" aria-label="Workers" aria-rowcount={rowCount + 1} className="rc-grid" data-testid="team-table">
        <div role="rowgroup">
          <div role="row" className="rc-head" aria-rowindex={1}>
            {HEADERS.map((h) => <div key={h} role="columnheader">{h}</div>)}
          </div>
        </div>
        <div role="rowgroup" ref={bodyRef} style={{ paddingTop: padTop, paddingBottom: padBottom }}>{children}</div>
      </div>
    </div>
  );
}
