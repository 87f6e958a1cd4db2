/**
 * TaskRouter › Workers: each worker with its activity, connection and attributes; create, edit
 * attributes, change activity (recorded with cause `admin`), delete, open the agent desktop as
 * the worker, or hand the worker a one-time sign-in link.
 */
import { AlertDialog } from '@twilio-paste/core/alert-dialog';
import { Alert } from '@twilio-paste/core/alert';
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import { Text } from '@twilio-paste/core/text';
import { PlusIcon } from '@twilio-paste/icons/esm/PlusIcon';
import { RefreshIcon } from '@twilio-paste/icons/esm/RefreshIcon';
import { useCallback, useState } from 'react';
import type { ReactNode } from 'react';
import { api, ApiError, messageOf } from '../api';
import type { Activity, WorkerRow } from '../contract';
import { EmptyState, LoadError, LoadingRows } from '../shell/page-states';
import { PageTitle } from '../shell/page-title';
import { useToast } from '../shell/toasts';
import { useResource } from '../shell/use-resource';
import { AgentLinkDialog } from '../workers/agent-link-dialog';
import { CreateWorkerDialog, EditAttributesDialog } from '../workers/worker-dialogs';
import { WorkerTable } from '../workers/worker-table';

type Dialog =
  | { kind: 'create' }
  | { kind: 'attributes'; worker: WorkerRow }
  | { kind: 'link'; worker: WorkerRow }
  | { kind: 'delete'; worker: WorkerRow }
  | null;

interface Data {
  workers: WorkerRow[];
  activities: Activity[];
}

async function load(): Promise<Data> {
  const [w, a] = await Promise.all([api.workers.list(), api.activities.list()]);
  return { workers: w.workers, activities: a.activities };
}

export function WorkersPage(): ReactNode {
  const data = useResource(load);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const toast = useToast();
  const { reload } = data;

  const fail = useCallback((e: unknown) => {
    if (!(e instanceof ApiError && e.status === 401)) setRefusal(messageOf(e));
  }, []);

  const changed = (message: string): void => {
    setDialog(null);
    setRefusal(null);
    toast({ variant: 'success', message });
    void reload();
  };

  const setActivity = useCallback(async (worker: WorkerRow, activitySid: string) => {
    try {
      const next = await api.workers.update(worker.sid, { activity_sid: activitySid });
      toast({ variant: 'success', message: `${next.friendly_name} is now ${next.activity_name}.` });
      setRefusal(null);
      void reload();
    } catch (e) {
      fail(e);
    }
  }, [fail, reload, toast]);

  async function remove(worker: WorkerRow): Promise<void> {
    setDialog(null);
    try {
      await api.workers.remove(worker.sid);
      changed(`Deleted ${worker.friendly_name}.`);
    } catch (e) {
      fail(e);
    }
  }

  return (
    <Box>
      <PageTitle section="TaskRouter" title="Workers"
        actions={(
          <Box display="flex" columnGap="space30" flexWrap="wrap" rowGap="space30">
            <Button variant="secondary" onClick={() => void reload()} loading={data.loading && data.data !== null}>
              <RefreshIcon decorative />Refresh
            </Button>
            <Button variant="primary" onClick={() => setDialog({ kind: 'create' })} disabled={!data.data}>
              <PlusIcon decorative />Create worker
            </Button>
          </Box>
        )}>
        The people tasks are routed to. Open a worker&apos;s agent desktop to act as them, or send them a sign-in link.
      </PageTitle>
      {refusal ? (
        <Box marginBottom="space60">
          <Alert variant="error" onDismiss={() => setRefusal(null)} data-testid="workers-refusal"><Text as="span">{refusal}</Text></Alert>
        </Box>
      ) : null}
      {data.data ? (
        data.data.workers.length === 0 ? (
          <EmptyState title="No workers yet"
            action={<Button variant="primary" onClick={() => setDialog({ kind: 'create' })}><PlusIcon decorative />Create worker</Button>}>
            Create a worker for each agent. Then open their agent desktop, or send them a sign-in link.
          </EmptyState>
        ) : (
          <WorkerTable workers={data.data.workers} activities={data.data.activities}
            onSetActivity={(w, sid) => void setActivity(w, sid)}
            onEditAttributes={(worker) => setDialog({ kind: 'attributes', worker })}
            onCreateLink={(worker) => setDialog({ kind: 'link', worker })}
            onDelete={(worker) => setDialog({ kind: 'delete', worker })} />
        )
      ) : data.error ? (
        <LoadError error={data.error} onRetry={() => void reload()} what="the workers" />
      ) : (
        <LoadingRows label="Loading workers…" />
      )}

      {dialog?.kind === 'create' && data.data ? (
        <CreateWorkerDialog activities={data.data.activities} onDismiss={() => setDialog(null)}
          onDone={(w) => changed(`Created ${w.friendly_name}.`)} />
      ) : null}
      {dialog?.kind === 'attributes' ? (
        <EditAttributesDialog worker={dialog.worker} onDismiss={() => setDialog(null)}
          onDone={(w) => changed(`Saved the attributes of ${w.friendly_name}.`)} />
      ) : null}
      {dialog?.kind === 'link' ? <AgentLinkDialog worker={dialog.worker} onDismiss={() => setDialog(null)} /> : null}
      <AlertDialog isOpen={dialog?.kind === 'delete'} destructive heading="Delete worker"
        onConfirm={() => dialog?.kind === 'delete' && void remove(dialog.worker)} onConfirmLabel="Delete"
        onDismiss={() => setDialog(null)} onDismissLabel="Cancel">
        {dialog?.kind === 'delete'
          ? `Delete ${dialog.worker.friendly_name}? Their open agent desktops are disconnected and their history stays. This cannot be undone.`
          : 'Delete this worker?'}
      </AlertDialog>
    </Box>
  );
}
