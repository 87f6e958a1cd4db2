/**
 * Twilio-style SIDs: a two-letter prefix and 32 lowercase hex digits. The core only formats and
 * checks them; the random bytes come from the shell, because randomness is I/O.
 */
export const SID_PREFIXES = {
  account: 'AC',
  apiKey: 'SK',
  workspace: 'WS',
  activity: 'WA',
  worker: 'WK',
  taskQueue: 'WQ',
  workflow: 'WW',
  task: 'WT',
  reservation: 'WR',
  transfer: 'TT',
  workerChannel: 'WC',
  taskChannel: 'TC',
  event: 'EV',
  connection: 'CN',
  node: 'ND',
  outageHold: 'OH',
} as const;

export type SidKind = keyof typeof SID_PREFIXES;
export type SidPrefix = (typeof SID_PREFIXES)[SidKind];

const HEX32 = /^[0-9a-f]{32}$/;

/** Builds a SID from 32 hex digits. */
export function formatSid(kind: SidKind, hex: string): string {
  if (!HEX32.test(hex)) throw new Error(`formatSid: expected 32 lowercase hex digits, got ${hex.length} characters`);
  return SID_PREFIXES[kind] + hex;
}

/** True when `value` is a well-formed SID of the given kind. */
export function isSid(kind: SidKind, value: unknown): value is string {
  return typeof value === 'string' && value.length === 34 && value.startsWith(SID_PREFIXES[kind]) && HEX32.test(value.slice(2));
}
