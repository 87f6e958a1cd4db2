/**
 * TaskRouter attributes: a JSON object kept as its text. One rule for every dialect that takes
 * them (REST form fields, the console's JSON, the agent channel's envelope).
 */
import { isJsonObject } from './json-object.js';
import { ok, refuse, type Result } from './errors.js';

export function checkAttributes(source: string): Result<string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    return refuse('invalid-parameter', 'Attributes must be valid JSON, e.g. {"skills": ["support"]}', 'Attributes');
  }
  if (!isJsonObject(parsed)) return refuse('invalid-parameter', 'Attributes must be a JSON object, e.g. {"skills": ["support"]}', 'Attributes');
  return ok(source);
}
