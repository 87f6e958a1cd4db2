import { describe, expect, it } from 'vitest';
import { eventCallbackParams, passesEventsFilter, readAssignmentAnswer, retryDelayMs } from './callbacks.js';
import type { WorkspaceEvent } from './resources.js';

describe('passesEventsFilter', () => {
  it.each([
    [null, 'task.created', true],
    ['', 'task.created', true],
    ['task.created,worker.created', 'worker.created', true],
    ['task.created, worker.created', 'worker.created', true],
    ['task.created', 'task.created.extra', false],
    ['task.created', 'worker.created', false],
  ])('filter %j lets %s through: %s', (filter, type, expected) => {
    expect(passesEventsFilter(filter, type)).toBe(expected);
  });
});

describe('readAssignmentAnswer', () => {
  it.each([
    ['', 'wait'],
    ['  ', 'wait'],
    ['{}', 'wait'],
    ['{"instruction":"accept"}', 'accept'],
    ['{"instruction":"reject"}', 'reject'],
    ['{"instruction":"dequeue","from":"+1"}', 'unsupported'],
    ['accept', 'unsupported'],
    ['[1]', 'unsupported'],
  ])('%j → %s', (body, kind) => {
    expect(readAssignmentAnswer(body).kind).toBe(kind);
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base and stops at ten minutes', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(30, 1000)).toBe(600_000);
  });
});

describe('eventCallbackParams', () => {
  it('sends the common parameters and event_data in PascalCase, without nulls', () => {
    const event: WorkspaceEvent = {
      sid: 'EV1', accountSid: 'AC1', workspaceSid: 'WS1', eventType: 'worker.activity.update', resourceType: 'worker', resourceSid: 'WK1',
      actorType: 'system', actorSid: null, description: 'Worker a updated', cause: 'offline-threshold', evidence: null, at: 1_700_000_000_500,
      data: { worker_sid: 'WK1', worker_activity_name: 'Offline', worker_previous_activity_sid: null, workspace_name: 'Main' },
    };
    expect(eventCallbackParams(event)).toEqual({
      Sid: 'EV1', EventType: 'worker.activity.update', AccountSid: 'AC1', WorkspaceSid: 'WS1', EventDescription: 'Worker a updated',
      ResourceType: 'worker', ResourceSid: 'WK1', Timestamp: '1700000000', TimestampMs: '1700000000500',
      WorkerSid: 'WK1', WorkerActivityName: 'Offline', WorkspaceName: 'Main', Cause: 'offline-threshold',
    });
  });
});
