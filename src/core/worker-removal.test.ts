import { describe, expect, it } from 'vitest';
import type { Worker } from './resources.js';
import { checkWorkerDeletion } from './worker-removal.js';

const worker = { sid: 'WK1', friendlyName: 'alice' } as Worker;

describe('checkWorkerDeletion', () => {
  it.each([
    [0, null],
    [1, /^Worker alice has 1 active reservation; complete, reject or cancel it before deleting the worker$/],
    [3, /^Worker alice has 3 active reservations; complete, reject or cancel them/],
  ])('%i active reservations → %s', (n, refusal) => {
    const result = checkWorkerDeletion(worker, n);
    if (refusal === null) expect(result.ok).toBe(true);
    else {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.refusal.code).toBe('conflict');
        expect(result.refusal.message).toMatch(refusal);
      }
    }
  });
});
