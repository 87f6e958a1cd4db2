import { describe, expect, it } from 'vitest';
import { csvField, csvLine } from './report-wire.js';

describe('CSV fields', () => {
  it.each<[unknown, string]>([
    ['WK0123', 'WK0123'],
    [12.5, '12.5'],
    [null, ''],
    [undefined, ''],
    [false, 'false'],
    ['Smith, Jane', '"Smith, Jane"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['+33 1 23', "'+33 1 23"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
  ])('%j is written %s', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('ends lines with CRLF', () => {
    expect(csvLine(['a', 1, null])).toBe('a,1,\r\n');
  });
});
