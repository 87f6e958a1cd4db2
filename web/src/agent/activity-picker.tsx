/** The agent's own status: the SDK's activities, set with activity.setAsCurrent(). */
import { Box } from '@twilio-paste/core/box';
import { HelpText } from '@twilio-paste/core/help-text';
import { Label } from '@twilio-paste/core/label';
import { Option, Select } from '@twilio-paste/core/select';
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { Worker } from 'twilio-taskrouter';

export function ActivityPicker({ worker, ready }: { worker: Worker; ready: boolean }): ReactNode {
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const activities = ready ? [...worker.activities.values()] : [];
  const current = ready ? worker.activity?.sid ?? '' : '';

  async function choose(sid: string): Promise<void> {
    const activity = worker.activities.get(sid);
    if (!activity) return;
    setPending(sid);
    setError(null);
    try {
      await activity.setAsCurrent();
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not change your activity.');
    } finally {
      setPending(null);
    }
  }

  return (
    <Box maxWidth="size40">
      <Label htmlFor="agent-activity">Your activity</Label>
      <Select id="agent-activity" data-testid="agent-activity" value={pending ?? current} disabled={!ready || pending !== null}
        hasError={error !== null} aria-describedby="agent-activity-help" onChange={(e) => void choose(e.target.value)}>
        {activities.length === 0 ? <Option value="">Loading…</Option> : null}
        {activities.map((a) => (
          <Option key={a.sid} value={a.sid}>{a.name}</Option>
        ))}
      </Select>
      <HelpText id="agent-activity-help" variant={error ? 'error' : 'default'}>
        {error ?? 'Tasks are offered only while you are in an activity that takes tasks.'}
      </HelpText>
    </Box>
  );
}
