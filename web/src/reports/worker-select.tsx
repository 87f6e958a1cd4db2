/** Choosing a worker for a report, from the workspace's workers. */
import { Option, Select } from '@twilio-paste/core/select';
import type { ReactNode } from 'react';
import { api } from '../api';
import type { WorkerRow } from '../contract';
import { useResource } from '../shell/use-resource';
import { Field } from './report-form';

const listWorkers = async (): Promise<WorkerRow[]> => (await api.workers.list()).workers;

export function WorkerSelect({ value, onChange, error, allowAll }: { value: string; onChange: (sid: string) => void; error: unknown; allowAll: boolean }): ReactNode {
  const workers = useResource(listWorkers);
  return (
    <Field name="worker_sid" label="Worker" error={error}>
      {(id, invalid) => (
        <Select id={id} name="worker_sid" value={value} hasError={invalid} onChange={(e) => onChange(e.target.value)} disabled={!workers.data}>
          {allowAll ? <Option value="">All workers</Option> : <Option value="">Choose a worker</Option>}
          {(workers.data ?? []).map((w) => <Option key={w.sid} value={w.sid}>{w.friendly_name}</Option>)}
        </Select>
      )}
    </Field>
  );
}
