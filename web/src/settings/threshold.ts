/**
 * The offline threshold as typed. The browser checks it for an immediate hint; the server runs
 * the same rule and its refusal is what counts, so an invalid value is still sent when saved.
 */
export const MIN_THRESHOLD_S = 1;
export const MAX_THRESHOLD_S = 86_400;

export function thresholdProblem(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return 'Enter the offline threshold in seconds.';
  if (!/^-?\d+$/.test(trimmed)) return 'Enter a whole number of seconds, from 1 to 86 400.';
  const value = Number(trimmed);
  if (value < MIN_THRESHOLD_S || value > MAX_THRESHOLD_S) return 'The threshold must be from 1 to 86 400 seconds (24 hours).';
  return null;
}

/** What goes on the wire: a number when the text is one, so the server judges the value itself. */
export function thresholdForWire(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}
