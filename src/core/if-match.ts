/**
 * The one reading of an `If-Match` header, for every dialect. Rollcall's ETags are a resource's
 * version, sent quoted (`"3"`); a weak prefix (`W/"3"`), missing quotes and surrounding blanks are
 * accepted. Each dialect decides what `any` and `invalid` mean for it (REST: `*` matches anything
 * and an unreadable value can never match; EventBridge refuses both as a bad parameter).
 */
export type IfMatch =
  | { readonly kind: 'absent' }
  | { readonly kind: 'any' }
  | { readonly kind: 'version'; readonly version: number }
  /** `text` is the header without its weak prefix and quotes, for messages. */
  | { readonly kind: 'invalid'; readonly text: string };

export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined) return { kind: 'absent' };
  const text = header.replace(/^W\//, '').replace(/"/g, '').trim();
  if (text === '*') return { kind: 'any' };
  return /^\d{1,15}$/.test(text) ? { kind: 'version', version: Number(text) } : { kind: 'invalid', text };
}
