import { describe, expect, it } from 'vitest';
import type { Activity, Workspace } from './resources.js';
import { applyWorkspacePatch, type WorkspacePatch } from './workspace-settings.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const activities: Activity[] = ['WAoffline', 'WAavailable'].map((sid) => ({
  sid, workspaceSid: 'WS1', accountSid: 'AC1', friendlyName: sid.slice(2), available: sid === 'WAavailable', createdAt: T0, updatedAt: T0,
}));
const workspace: Workspace = {
  sid: 'WS1', accountSid: 'AC1', friendlyName: 'Rollcall', defaultActivitySid: 'WAoffline', timeoutActivitySid: 'WAoffline',
  eventCallbackUrl: 'https://example.com/old', eventsFilter: 'worker.created', multiTaskEnabled: false, createdAt: T0, updatedAt: T0,
};

describe('applyWorkspacePatch', () => {
  const accepted: { name: string; patch: WorkspacePatch; expected: Partial<Workspace> }[] = [
    { name: 'an empty patch only touches updatedAt', patch: {}, expected: { friendlyName: 'Rollcall', updatedAt: T0 + 1 } },
    { name: 'renames', patch: { friendlyName: 'Support' }, expected: { friendlyName: 'Support' } },
    { name: 'sets the default activity', patch: { defaultActivitySid: 'WAavailable' }, expected: { defaultActivitySid: 'WAavailable', timeoutActivitySid: 'WAoffline' } },
    { name: 'sets the timeout activity', patch: { timeoutActivitySid: 'WAavailable' }, expected: { timeoutActivitySid: 'WAavailable' } },
    { name: 'sets a callback URL', patch: { eventCallbackUrl: 'http://hooks.internal:8080/tr' }, expected: { eventCallbackUrl: 'http://hooks.internal:8080/tr' } },
    { name: 'an empty callback URL clears it', patch: { eventCallbackUrl: '' }, expected: { eventCallbackUrl: null } },
    { name: 'an events filter is normalised', patch: { eventsFilter: 'worker.activity.update, activity.deleted' }, expected: { eventsFilter: 'worker.activity.update,activity.deleted' } },
    { name: 'an empty events filter clears it', patch: { eventsFilter: '' }, expected: { eventsFilter: null } },
  ];
  for (const c of accepted) {
    it(c.name, () => {
      const result = applyWorkspacePatch(workspace, c.patch, activities, T0 + 1);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.value).toMatchObject({ ...c.expected, updatedAt: T0 + 1 });
    });
  }

  const refused: { name: string; patch: WorkspacePatch; field: string }[] = [
    { name: 'an empty name', patch: { friendlyName: ' ' }, field: 'FriendlyName' },
    { name: 'a default activity of another workspace', patch: { defaultActivitySid: 'WAelsewhere' }, field: 'DefaultActivitySid' },
    { name: 'a timeout activity of another workspace', patch: { timeoutActivitySid: 'WAelsewhere' }, field: 'TimeoutActivitySid' },
    { name: 'a relative callback URL', patch: { eventCallbackUrl: '/hooks' }, field: 'EventCallbackUrl' },
    { name: 'a callback URL that is not http', patch: { eventCallbackUrl: 'ftp://example.com/x' }, field: 'EventCallbackUrl' },
    { name: 'an events filter with a non-event', patch: { eventsFilter: 'worker.created,DROP TABLE' }, field: 'EventsFilter' },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}, naming ${c.field}`, () => {
      const result = applyWorkspacePatch(workspace, { friendlyName: 'Changed', ...c.patch }, activities, T0 + 1);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.refusal).toMatchObject({ code: 'invalid-parameter', field: c.field });
    });
  }
});
