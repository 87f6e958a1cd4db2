import { describe, expect, it } from 'vitest';
import { storeFamily } from './metrics.js';

describe('storeFamily', () => {
  it.each([
    ['openConnection', 'presence'], ['endConnections', 'presence'], ['claimDueDeadlines', 'presence'], ['updateLogoutSettings', 'presence'],
    ['reserve', 'routing'], ['reserveMany', 'routing'], ['updateReservation', 'routing'], ['claimRoutingDue', 'routing'],
    ['claimDueCallbacks', 'callbacks'],
    ['createTaskQueue', 'admin'], ['revokeApiKey', 'admin'], ['endConsoleSession', 'admin'],
    ['findWorker', 'read'], ['pageEvents', 'read'], ['nextDueAt', 'read'], ['endpoint', 'read'], ['presenceGauges', 'read'],
  ])('%s → %s', (verb, family) => {
    expect(storeFamily(verb)).toBe(family);
  });
});
