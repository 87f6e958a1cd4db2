import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('makes each value once while it stays, and never holds more than its capacity', () => {
    const made: string[] = [];
    const cache = new BoundedCache<string, number>(2);
    const get = (key: string) => cache.get(key, (k) => (made.push(k), k.length));
    expect([get('a'), get('bb'), get('a')]).toEqual([1, 2, 1]);
    expect(made).toEqual(['a', 'bb']);
    get('ccc'); // evicts 'bb', the least recently used ('a' was read after it)
    expect(cache.size).toBe(2);
    get('a');
    get('bb');
    expect(made).toEqual(['a', 'bb', 'ccc', 'bb']);
    for (let i = 0; i < 10_000; i++) get(`k${i}`);
    expect(cache.size).toBe(2);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new BoundedCache(0)).toThrow(/at least 1/);
  });
});
