/** Create an activity, or rename one. Refusals naming `friendly_name` show under the name. */
import { Box } from '@twilio-paste/core/box';
import { Checkbox } from '@twilio-paste/core/checkbox';
import { HelpText } from '@twilio-paste/core/help-text';
import { Input } from '@twilio-paste/core/input';
import { Label } from '@twilio-paste/core/label';
import { useRef } from 'react';
import type { ReactNode } from 'react';
import { api, fieldError } from '../api';
import type { Activity } from '../contract';
import { useStashedState } from '../session/drafts';
import { FormModal } from '../shell/form-modal';
import { formError, useSubmit } from '../shell/use-submit';

export function CreateActivityDialog({ onDone, onDismiss }: { onDone: (a: Activity) => void; onDismiss: () => void }): ReactNode {
  const [draft, setDraft] = useStashedState('create-activity', { name: '', available: false });
  const submit = useSubmit();
  const first = useRef<HTMLInputElement>(null);
  const nameError = fieldError(submit.error, 'friendly_name');
  return (
    <FormModal isOpen heading="Create activity" submitLabel="Create" busy={submit.busy} error={formError(submit.error, 'friendly_name')}
      initialFocusRef={first} onDismiss={onDismiss}
      onSubmit={() => void submit.run(async () => onDone(await api.activities.create(draft.name.trim(), draft.available)))}>
      <Box>
        <Label htmlFor="new-activity-name" required>Name</Label>
        <Input id="new-activity-name" ref={first} type="text" value={draft.name} hasError={nameError !== null}
          aria-describedby="new-activity-name-help"
          onChange={(e) => { setDraft({ ...draft, name: e.target.value }); submit.clear(); }} />
        <HelpText id="new-activity-name-help" variant={nameError ? 'error' : 'default'}>
          {nameError ?? 'Unique in the workspace, for example Available, Break or Training.'}
        </HelpText>
      </Box>
      <Checkbox id="new-activity-available" checked={draft.available}
        onChange={(e) => setDraft({ ...draft, available: e.target.checked })}
        helpText="Workers in an available activity can be offered tasks. This cannot be changed later.">
        Available
      </Checkbox>
    </FormModal>
  );
}

export function RenameActivityDialog({ activity, onDone, onDismiss }: {
  activity: Activity;
  onDone: (a: Activity) => void;
  onDismiss: () => void;
}): ReactNode {
  const [name, setName] = useStashedState(`rename-activity-${activity.sid}`, activity.friendly_name);
  const submit = useSubmit();
  const first = useRef<HTMLInputElement>(null);
  const nameError = fieldError(submit.error, 'friendly_name');
  return (
    <FormModal isOpen heading={`Rename ${activity.friendly_name}`} submitLabel="Rename" busy={submit.busy}
      error={formError(submit.error, 'friendly_name')} initialFocusRef={first} onDismiss={onDismiss}
      onSubmit={() => void submit.run(async () => onDone(await api.activities.rename(activity.sid, name.trim())))}>
      <Box>
        <Label htmlFor="rename-activity-name" required>Name</Label>
        <Input id="rename-activity-name" ref={first} type="text" value={name} hasError={nameError !== null}
          aria-describedby="rename-activity-name-help"
          onChange={(e) => { setName(e.target.value); submit.clear(); }} />
        <HelpText id="rename-activity-name-help" variant={nameError ? 'error' : 'default'}>
          {nameError ?? (activity.is_logout_activity
            ? 'This is the logout activity: the logout settings show it under its new name.'
            : 'Workers in it keep it; they see the new name.')}
        </HelpText>
      </Box>
    </FormModal>
  );
}
