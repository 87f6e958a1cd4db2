/** Create a worker, and edit a worker's attributes (a JSON object the server checks). */
import { Box } from '@twilio-paste/core/box';
import { HelpText } from '@twilio-paste/core/help-text';
import { Input } from '@twilio-paste/core/input';
import { Label } from '@twilio-paste/core/label';
import { Option, Select } from '@twilio-paste/core/select';
import { TextArea } from '@twilio-paste/core/textarea';
import { useRef } from 'react';
import type { ReactNode, Ref } from 'react';
import { api, fieldError } from '../api';
import type { Activity, WorkerRow } from '../contract';
import { useStashedState } from '../session/drafts';
import { FormModal } from '../shell/form-modal';
import { formError, useSubmit } from '../shell/use-submit';

/** Attributes as stored are compact; an editor shows them indented. */
function readable(attributes: string): string {
  try {
    return JSON.stringify(JSON.parse(attributes), null, 2);
  } catch {
    return attributes;
  }
}

function AttributesField({ id, value, onChange, error, ref }: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  error: string | null;
  ref?: Ref<HTMLTextAreaElement>;
}): ReactNode {
  return (
    <Box>
      <Label htmlFor={id}>Attributes (JSON)</Label>
      <TextArea id={id} ref={ref} value={value} onChange={(e) => onChange(e.target.value)} hasError={error !== null} minRows={6} maxRows={16}
        aria-describedby={`${id}-help`} spellCheck={false} data-testid="attributes-input" />
      <HelpText id={`${id}-help`} variant={error ? 'error' : 'default'} data-testid="attributes-help">
        {error ?? 'A JSON object. Queues match workers on it, for example {"skills": ["support"]}.'}
      </HelpText>
    </Box>
  );
}

export function CreateWorkerDialog({ activities, onDone, onDismiss }: {
  activities: Activity[];
  onDone: (w: WorkerRow) => void;
  onDismiss: () => void;
}): ReactNode {
  const [draft, setDraft] = useStashedState('create-worker', { name: '', attributes: '{}', activitySid: '' });
  const submit = useSubmit();
  const first = useRef<HTMLInputElement>(null);
  const nameError = fieldError(submit.error, 'friendly_name');
  const edit = (change: Partial<typeof draft>): void => {
    setDraft({ ...draft, ...change });
    submit.clear();
  };
  const create = async (): Promise<void> => {
    const body = {
      friendly_name: draft.name.trim(),
      attributes: draft.attributes.trim() === '' ? '{}' : draft.attributes,
      ...(draft.activitySid ? { activity_sid: draft.activitySid } : {}),
    };
    onDone(await api.workers.create(body));
  };
  return (
    <FormModal isOpen wide heading="Create worker" submitLabel="Create" busy={submit.busy} initialFocusRef={first} onDismiss={onDismiss}
      error={formError(submit.error, 'friendly_name', 'attributes', 'activity_sid')} onSubmit={() => void submit.run(create)}>
      <Box>
        <Label htmlFor="new-worker-name" required>Name</Label>
        <Input id="new-worker-name" ref={first} type="text" value={draft.name} hasError={nameError !== null}
          aria-describedby="new-worker-name-help" onChange={(e) => edit({ name: e.target.value })} />
        <HelpText id="new-worker-name-help" variant={nameError ? 'error' : 'default'}>{nameError ?? 'Unique in the workspace, for example alice.'}</HelpText>
      </Box>
      <Box>
        <Label htmlFor="new-worker-activity">Activity</Label>
        <Select id="new-worker-activity" value={draft.activitySid} onChange={(e) => edit({ activitySid: e.target.value })}
          hasError={fieldError(submit.error, 'activity_sid') !== null} aria-describedby="new-worker-activity-help">
          <Option value="">The workspace default</Option>
          {activities.map((a) => <Option key={a.sid} value={a.sid}>{a.friendly_name}</Option>)}
        </Select>
        <HelpText id="new-worker-activity-help" variant={fieldError(submit.error, 'activity_sid') ? 'error' : 'default'}>
          {fieldError(submit.error, 'activity_sid') ?? 'Where the worker starts.'}
        </HelpText>
      </Box>
      <AttributesField id="new-worker-attributes" value={draft.attributes} onChange={(attributes) => edit({ attributes })}
        error={fieldError(submit.error, 'attributes')} />
    </FormModal>
  );
}

export function EditAttributesDialog({ worker, onDone, onDismiss }: {
  worker: WorkerRow;
  onDone: (w: WorkerRow) => void;
  onDismiss: () => void;
}): ReactNode {
  const [text, setText] = useStashedState(`attributes-${worker.sid}`, readable(worker.attributes));
  const submit = useSubmit();
  const first = useRef<HTMLTextAreaElement>(null);
  return (
    <FormModal isOpen wide heading={`Attributes of ${worker.friendly_name}`} submitLabel="Save attributes" busy={submit.busy}
      initialFocusRef={first} onDismiss={onDismiss} error={formError(submit.error, 'attributes')}
      onSubmit={() => void submit.run(async () => onDone(await api.workers.update(worker.sid, { attributes: text })))}>
      <AttributesField id="edit-attributes" ref={first} value={text} onChange={(v) => { setText(v); submit.clear(); }}
        error={fieldError(submit.error, 'attributes')} />
    </FormModal>
  );
}
