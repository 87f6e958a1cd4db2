/**
 * The Teams view's rows: plain elements styled once, from Paste's tokens, by one global stylesheet.
 * Measured with 2 000 workers: Paste's Td/Badge/Select are emotion-styled Boxes costing
 * milliseconds per row, and an HTML table re-lays out every row when any cell changes (60 ms for
 * one cell, 240 ms for the 1 s tick). A CSS grid of contained rows (ARIA table roles) looks the
 * same; only the rows in and near the view are mounted (row-window.ts says why).
 */
import { css, StylingGlobals } from '@twilio-paste/core/styling-library';
import { memo } from 'react';
import type { ReactNode } from 'react';

// Paste Select's chevron (colorTextIcon), drawn as a background so the control stays one element.
const CHEVRON = `url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 20 20'%3E%3Cpath d='M6 8l4 4 4-4' fill='none' stroke='%23606b85' stroke-width='1.5' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E")`;

const badge = (backgroundColor: string, color: string, boxShadow: string) => ({ backgroundColor, color, boxShadow });

// Columns of the grid; the table scrolls sideways below this width instead of squeezing.
const COLUMNS = 'minmax(11rem, 1.2fr) minmax(8rem, 0.9fr) minmax(10rem, 1.1fr) minmax(7rem, 0.7fr) minmax(11rem, 1.4fr) minmax(10rem, 1fr)';

const styles = css({
  '.rc-scroll': { overflowX: 'auto', borderRadius: 'borderRadius20', boxShadow: 'shadowBorderWeaker' },
  '.rc-grid': { minWidth: '60rem', backgroundColor: 'colorBackgroundBody' },
  '.rc-head, .rc-row': { display: 'grid', gridTemplateColumns: COLUMNS },
  '.rc-head': {
    position: 'sticky', top: 0, zIndex: 'zIndex10', backgroundColor: 'colorBackgroundWeak',
    borderBottomWidth: 'borderWidth10', borderBottomStyle: 'solid', borderBottomColor: 'colorBorderWeaker',
  },
  '.rc-head > div': { fontSize: 'fontSize30', fontWeight: 'fontWeightSemibold', lineHeight: 'lineHeight30', color: 'colorTextWeak', padding: 'space50' },
  // Each row is its own layout island: a change or a tick in one row costs that row. No
  // content-visibility: only rows near the view are mounted, and its per-row observation was a
  // cost of its own (row-window.ts).
  '.rc-row': {
    contain: 'layout style',
    borderBottomWidth: 'borderWidth10', borderBottomStyle: 'solid', borderBottomColor: 'colorBorderWeaker',
  },
  '.rc-row:last-child': { borderBottomWidth: 'borderWidth0' },
  '.rc-row > div': { fontSize: 'fontSize30', lineHeight: 'lineHeight30', padding: 'space50', color: 'colorText', minWidth: 0, overflowWrap: 'anywhere' },
  '.rc-stack': { display: 'flex', flexDirection: 'column', alignItems: 'flex-start', rowGap: 'space20' },
  '.rc-strong': { fontWeight: 'fontWeightSemibold' },
  '.rc-small': { fontSize: 'fontSize20' },
  '.rc-weak': { fontSize: 'fontSize20', color: 'colorTextWeak' },
  '.rc-nowrap': { whiteSpace: 'nowrap' },
  '.rc-sid': { fontSize: 'fontSize20', color: 'colorTextWeak', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' },
  '.rc-badge': {
    display: 'inline-flex', alignItems: 'center', borderRadius: 'borderRadius20', fontSize: 'fontSize20',
    fontWeight: 'fontWeightSemibold', lineHeight: 'lineHeight10', paddingX: 'space30', paddingY: 'space20', whiteSpace: 'nowrap',
  },
  '.rc-badge-success': badge('colorBackgroundSuccessWeakest', 'colorTextSuccess', 'shadowBorderSuccessWeaker'),
  '.rc-badge-neutral': badge('colorBackgroundNeutralWeakest', 'colorTextNeutral', 'shadowBorderNeutralWeaker'),
  '.rc-badge-warning': badge('colorBackgroundWarningWeakest', 'colorTextWarning', 'shadowBorderWarningWeaker'),
  '.rc-badge-error': badge('colorBackgroundErrorWeakest', 'colorTextError', 'shadowBorderErrorWeaker'),
  '.rc-badge-default': badge('colorBackgroundBody', 'colorText', 'shadowBorderWeaker'),
  '.rc-select': {
    width: '100%', minWidth: 0, fontFamily: 'inherit', fontSize: 'fontSize30', fontWeight: 'fontWeightMedium',
    lineHeight: 'lineHeight20', color: 'colorText', backgroundColor: 'colorBackgroundBody', border: 'none',
    borderRadius: 'borderRadius30', boxShadow: 'shadowBorder', paddingY: 'space30', paddingLeft: 'space40', paddingRight: 'space90',
    cursor: 'pointer', appearance: 'none', backgroundImage: CHEVRON, backgroundRepeat: 'no-repeat', backgroundPosition: 'right 0.5rem center',
    backgroundSize: '1rem',
    '&:hover': { boxShadow: 'shadowBorderPrimary' },
    '&:focus-visible': { outline: 'none', boxShadow: 'shadowFocusShadowBorder' },
  },
});

/** Memoised: emotion's Global serialises its styles on every render, and the page renders per live update. */
export const TeamRowStyles = memo(function TeamRowStyles(): ReactNode {
  return <StylingGlobals styles={styles} />;
});
