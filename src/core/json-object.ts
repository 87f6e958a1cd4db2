/**
 * The one JSON-object check, for every dialect (REST form fields and bodies, EventBridge
 * envelopes, the console's JSON, stored attributes). Each caller keeps its own refusal wording.
 */

/** A plain JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object a JSON text holds; null when the text is not JSON or not an object. */
export function parseJsonObject(source: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    return null;
  }
  return isJsonObject(parsed) ? parsed : null;
}

/** An object as an SDK sends it, or a JSON text of one; null when it is neither. */
export function readJsonObject(value: unknown): Record<string, unknown> | null {
  if (isJsonObject(value)) return value;
  return typeof value === 'string' ? parseJsonObject(value) : null;
}
