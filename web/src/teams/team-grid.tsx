/** The Teams view's table: ARIA table roles on a CSS grid (row-styles.tsx says why not <table>). */
import type { ReactNode } from 'react';

const HEADERS = ['Worker', 'Activity', 'Connection', 'Automatic logout', 'Last automatic change', 'Set activity'];

export function TeamGrid({ children }: { children: ReactNode }): ReactNode {
  return (
    <div className="rc-scroll">
      <div role="table" aria-label="Workers" className="rc-grid" data-testid="team-table">
        <div role="rowgroup">
          <div role="row" className="rc-head">
            {HEADERS.map((h) => <div key={h} role="columnheader">{h}</div>)}
          </div>
        </div>
        <div role="rowgroup">{children}</div>
      </div>
    </div>
  );
}
