import { describe, expect, it } from 'vitest';
import { parseIfMatch } from './if-match.js';

describe('parseIfMatch', () => {
  it('reads a version quoted, weak, bare or padded, and * as any', () => {
    expect(parseIfMatch(undefined)).toEqual({ kind: 'absent' });
    for (const header of ['"3"', 'W/"3"', '3', ' "3" ']) expect(parseIfMatch(header)).toEqual({ kind: 'version', version: 3 });
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
  });

  it('keeps an unreadable value, without quotes, for the message', () => {
    expect(parseIfMatch('"abc"')).toEqual({ kind: 'invalid', text: 'abc' });
    expect(parseIfMatch('')).toEqual({ kind: 'invalid', text: '' });
    expect(parseIfMatch('1e3')).toEqual({ kind: 'invalid', text: '1e3' });
    expect(parseIfMatch('1234567890123456')).toEqual({ kind: 'invalid', text: '1234567890123456' });
  });
});
