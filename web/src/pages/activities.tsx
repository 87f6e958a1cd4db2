/**
 * TaskRouter › Activities: every activity with whether it is available and how many workers are
 * in it. The logout activity is labelled and offers no delete; the server refuses it anyway.
 */
import { AlertDialog } from '@twilio-paste/core/alert-dialog';
import { Alert } from '@twilio-paste/core/alert';
import { Badge } from '@twilio-paste/core/badge';
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import { Table, TBody, Td, Th, THead, Tr } from '@twilio-paste/core/table';
import { Text } from '@twilio-paste/core/text';
import { PlusIcon } from '@twilio-paste/icons/esm/PlusIcon';
import { useState } from 'react';
import type { ReactNode } from 'react';
import { CreateActivityDialog, RenameActivityDialog } from '../activities/activity-dialogs';
import { api, ApiError, messageOf } from '../api';
import type { Activity } from '../contract';
import { plural } from '../describe';
import { EmptyState, LoadError, LoadingRows } from '../shell/page-states';
import { PageTitle } from '../shell/page-title';
import { useToast } from '../shell/toasts';
import { useResource } from '../shell/use-resource';

type Dialog = { kind: 'create' } | { kind: 'rename'; activity: Activity } | { kind: 'delete'; activity: Activity } | null;

export function ActivitiesPage(): ReactNode {
  const list = useResource(async () => (await api.activities.list()).activities);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const toast = useToast();

  const done = (message: string): void => {
    setDialog(null);
    setRefusal(null);
    toast({ variant: 'success', message });
    void list.reload();
  };

  async function remove(activity: Activity): Promise<void> {
    setDialog(null);
    try {
      await api.activities.remove(activity.sid);
      done(`Deleted ${activity.friendly_name}.`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) setRefusal(messageOf(e));
    }
  }

  return (
    <Box>
      <PageTitle section="TaskRouter" title="Activities"
        actions={<Button variant="primary" onClick={() => setDialog({ kind: 'create' })}><PlusIcon decorative />Create activity</Button>}>
        The states a worker can be in. Workers in an available activity can be offered tasks; the logout activity is where
        automatic status updates put agents who are no longer there.
      </PageTitle>
      {refusal ? (
        <Box marginBottom="space60">
          <Alert variant="error" onDismiss={() => setRefusal(null)} data-testid="activities-refusal">
            <Text as="span">{refusal}</Text>
          </Alert>
        </Box>
      ) : null}
      {list.data ? (
        list.data.length === 0 ? (
          <EmptyState title="No activities yet">Create the activities your workers can be in, starting with one that is available.</EmptyState>
        ) : (
          <ActivityTable activities={list.data} onRename={(activity) => setDialog({ kind: 'rename', activity })}
            onDelete={(activity) => setDialog({ kind: 'delete', activity })} />
        )
      ) : list.error ? (
        <LoadError error={list.error} onRetry={() => void list.reload()} what="the activities" />
      ) : (
        <LoadingRows label="Loading activities…" />
      )}

      {dialog?.kind === 'create' ? (
        <CreateActivityDialog onDismiss={() => setDialog(null)} onDone={(a) => done(`Created ${a.friendly_name}.`)} />
      ) : null}
      {dialog?.kind === 'rename' ? (
        <RenameActivityDialog activity={dialog.activity} onDismiss={() => setDialog(null)}
          onDone={(a) => done(`Renamed ${dialog.activity.friendly_name} to ${a.friendly_name}.`)} />
      ) : null}
      <AlertDialog isOpen={dialog?.kind === 'delete'} destructive heading="Delete activity"
        onConfirm={() => dialog?.kind === 'delete' && void remove(dialog.activity)} onConfirmLabel="Delete"
        onDismiss={() => setDialog(null)} onDismissLabel="Cancel">
        {dialog?.kind === 'delete' ? `Delete ${dialog.activity.friendly_name}? This cannot be undone.` : 'Delete this activity?'}
      </AlertDialog>
    </Box>
  );
}

function ActivityTable({ activities, onRename, onDelete }: {
  activities: Activity[];
  onRename: (a: Activity) => void;
  onDelete: (a: Activity) => void;
}): ReactNode {
  return (
    <Table scrollHorizontally>
      <THead>
        <Tr>
          <Th>Name</Th>
          <Th>Available</Th>
          <Th textAlign="right">Workers in it</Th>
          <Th textAlign="right">Actions</Th>
        </Tr>
      </THead>
      <TBody>
        {activities.map((a) => (
          <Tr key={a.sid} data-activity-sid={a.sid}>
            <Td>
              <Box display="flex" alignItems="center" columnGap="space30" flexWrap="wrap">
                <Text as="span" fontWeight="fontWeightSemibold">{a.friendly_name}</Text>
                {a.is_logout_activity ? <Badge as="span" variant="neutral" data-testid="logout-activity-badge">Logout activity</Badge> : null}
              </Box>
              <Text as="div" color="colorTextWeak" fontSize="fontSize20">{a.sid}</Text>
            </Td>
            <Td>{a.available ? <Badge as="span" variant="success">Available</Badge> : <Badge as="span" variant="default">Not available</Badge>}</Td>
            <Td textAlign="right">
              <Text as="span" aria-label={plural(a.workers, 'worker')}>{a.workers}</Text>
            </Td>
            <Td textAlign="right">
              <Box display="inline-flex" columnGap="space30">
                <Button variant="secondary" size="small" onClick={() => onRename(a)} aria-label={`Rename ${a.friendly_name}`}>Rename</Button>
                {a.is_logout_activity ? null : (
                  <Button variant="destructive_secondary" size="small" onClick={() => onDelete(a)} aria-label={`Delete ${a.friendly_name}`}>Delete</Button>
                )}
              </Box>
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
