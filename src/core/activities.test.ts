import { describe, expect, it } from 'vitest';
import { activityEvent, checkActivityDeletion, checkAvailableUnchanged, checkFriendlyName, workspaceEvent } from './activities.js';
import type { Activity, LogoutSettings, Workspace } from './resources.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const activity = (sid: string, friendlyName: string, available: boolean): Activity => ({
  sid, workspaceSid: 'WS1', accountSid: 'AC1', friendlyName, available, createdAt: T0, updatedAt: T0,
});
const offline = activity('WAoffline', 'Offline', false);
const available = activity('WAavailable', 'Available', true);
const breakActivity = activity('WAbreak', 'Break', false);
const unavailable = activity('WAunavailable', 'Unavailable', false);
const workspace: Workspace = {
  sid: 'WS1', accountSid: 'AC1', friendlyName: 'Rollcall', defaultActivitySid: 'WAunavailable', timeoutActivitySid: 'WAbreak',
  eventCallbackUrl: null, eventsFilter: null, multiTaskEnabled: false, createdAt: T0, updatedAt: T0,
};
const settings: LogoutSettings = { workspaceSid: 'WS1', logoutActivitySid: 'WAoffline', enabled: true, thresholdMs: 30_000, updatedAt: T0, updatedBy: null };

describe('checkActivityDeletion', () => {
  const cases: { name: string; activity: Activity; workers: number; queues?: string[]; refusal: RegExp | null }[] = [
    { name: 'the logout activity is never deleted', activity: offline, workers: 0, refusal: /Offline is the logout activity: it can be renamed but never deleted/ },
    { name: 'an activity a task queue names is refused', activity: available, workers: 0, queues: ['Support'], refusal: /^Available is the reservation or assignment activity of task queue Support; change it before/ },
    { name: 'several queues are all named', activity: available, workers: 2, queues: ['Support', 'Sales'], refusal: /of task queues Support, Sales; change them before/ },
    { name: 'the default activity is refused', activity: unavailable, workers: 0, refusal: /default activity \(DefaultActivitySid\)/ },
    { name: 'the timeout activity is refused', activity: breakActivity, workers: 0, refusal: /timeout activity \(TimeoutActivitySid\)/ },
    { name: 'an activity one worker is in is refused', activity: available, workers: 1, refusal: /^1 worker is in Available; move them/ },
    { name: 'an activity several workers are in is refused', activity: available, workers: 3, refusal: /^3 workers are in Available/ },
    { name: 'an unreferenced, empty activity may go', activity: available, workers: 0, refusal: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = checkActivityDeletion(c.activity, { workspace, settings, workersInActivity: c.workers, queuesUsing: c.queues ?? [] });
      if (c.refusal === null) expect(result.ok).toBe(true);
      else {
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.refusal.code).toBe('conflict');
          expect(result.refusal.message).toMatch(c.refusal);
        }
      }
    });
  }
});

describe('checkAvailableUnchanged', () => {
  it.each([
    [available, undefined, true],
    [available, true, true],
    [offline, false, true],
    [available, false, false],
    [offline, true, false],
  ] as const)('%s asked to be available=%s → allowed %s', (a, requested, allowed) => {
    const result = checkAvailableUnchanged(a, requested);
    expect(result.ok).toBe(allowed);
    if (!result.ok) expect(result.refusal).toMatchObject({ code: 'invalid-parameter', field: 'Available' });
  });
});

describe('checkFriendlyName', () => {
  it.each([
    ['Lunch', true],
    ['', false],
    ['   ', false],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
  ])('%j → %s', (name, allowed) => {
    const result = checkFriendlyName(name);
    expect(result.ok).toBe(allowed);
    if (!result.ok) expect(result.refusal.field).toBe('FriendlyName');
  });
});

describe('activity and workspace events', () => {
  it('activity events carry Twilio-style string data and the actor', () => {
    const event = activityEvent({ sid: 'EV1', workspace, at: T0, actor: 'SKkey' }, breakActivity, 'activity.deleted');
    expect(event).toMatchObject({
      eventType: 'activity.deleted', resourceType: 'activity', resourceSid: 'WAbreak', actorType: 'api_key', actorSid: 'SKkey',
      description: 'Activity Break deleted',
      data: { activity_sid: 'WAbreak', activity_name: 'Break', activity_available: 'false', workspace_sid: 'WS1', workspace_name: 'Rollcall' },
      cause: null, evidence: null, at: T0,
    });
  });

  it('workspace.updated names the default and timeout activities', () => {
    const event = workspaceEvent({ sid: 'EV2', workspace, at: T0, actor: 'AC1' }, [offline, available, breakActivity, unavailable]);
    expect(event).toMatchObject({
      eventType: 'workspace.updated', resourceSid: 'WS1', actorType: 'account',
      data: { default_activity_name: 'Unavailable', timeout_activity_name: 'Break', event_callback_url: null },
    });
  });
});
