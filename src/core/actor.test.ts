import { describe, expect, it } from 'vitest';
import { actorFields, parseActor } from './actor.js';

describe('actor', () => {
  it('reads a worker, key or account SID, and anything else as the system', () => {
    expect(parseActor('WK0123')).toEqual({ type: 'worker', sid: 'WK0123' });
    expect(parseActor('SK0123')).toEqual({ type: 'api_key', sid: 'SK0123' });
    expect(parseActor('AC0123')).toEqual({ type: 'account', sid: 'AC0123' });
    expect(parseActor('rollcall')).toEqual({ type: 'system', name: 'rollcall' });
    expect(parseActor('assignment-callback')).toEqual({ type: 'system', name: 'assignment-callback' });
  });

  it("gives an event's actor_type and actor_sid as TaskRouter shows them", () => {
    expect(actorFields(parseActor('WK0123'))).toEqual({ actorType: 'worker', actorSid: 'WK0123' });
    expect(actorFields(parseActor('SK0123'))).toEqual({ actorType: 'api_key', actorSid: 'SK0123' });
    expect(actorFields(parseActor('rollcall'))).toEqual({ actorType: 'system', actorSid: null });
  });
});
