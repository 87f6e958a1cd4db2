import { describe, expect, it } from 'vitest';
import { isJsonObject, parseJsonObject, readJsonObject } from './json-object.js';

describe('JSON objects', () => {
  it('takes plain objects only', () => {
    expect(isJsonObject({ a: 1 })).toBe(true);
    for (const value of [null, [], 'x', 1, true, undefined]) expect(isJsonObject(value)).toBe(false);
  });

  it('parses JSON text of an object, and nothing else', () => {
    expect(parseJsonObject('{"skills":["a"]}')).toEqual({ skills: ['a'] });
    for (const text of ['[1]', 'null', '"x"', '3', '{bad', '']) expect(parseJsonObject(text)).toBeNull();
  });

  it('reads an object as an SDK sends it, or as JSON text', () => {
    expect(readJsonObject({ a: 1 })).toEqual({ a: 1 });
    expect(readJsonObject('{"a":1}')).toEqual({ a: 1 });
    expect(readJsonObject(['a'])).toBeNull();
    expect(readJsonObject(5)).toBeNull();
  });
});
