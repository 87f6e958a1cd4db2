/**
 * The Workers page's table. Four columns so it fits a 1280 px window beside the navigation: the
 * worker cell carries name, SID and attributes. Every control names its worker for screen readers.
 */
import { Badge } from '@twilio-paste/core/badge';
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import { Option, Select } from '@twilio-paste/core/select';
import { Table, TBody, Td, Th, THead, Tr } from '@twilio-paste/core/table';
import { Text } from '@twilio-paste/core/text';
import { DeleteIcon } from '@twilio-paste/icons/esm/DeleteIcon';
import { EditIcon } from '@twilio-paste/icons/esm/EditIcon';
import type { ReactNode } from 'react';
import type { Activity, WorkerRow } from '../contract';
import { connectionWords } from '../describe';
import { BASE } from '../shell/router';

function compact(attributes: string): string {
  try {
    return JSON.stringify(JSON.parse(attributes));
  } catch {
    return attributes;
  }
}

interface Actions {
  onSetActivity: (w: WorkerRow, activitySid: string) => void;
  onEditAttributes: (w: WorkerRow) => void;
  onCreateLink: (w: WorkerRow) => void;
  onDelete: (w: WorkerRow) => void;
}

function WorkerCell({ w, onEditAttributes }: { w: WorkerRow; onEditAttributes: Actions['onEditAttributes'] }): ReactNode {
  const attributes = compact(w.attributes);
  return (
    <Box maxWidth="size30">
      <Text as="div" fontWeight="fontWeightSemibold">{w.friendly_name}</Text>
      <Text as="div" color="colorTextWeak" fontSize="fontSize20">{w.sid}</Text>
      <Box display="flex" alignItems="center" columnGap="space20" marginTop="space20">
        <Box overflow="hidden" textOverflow="ellipsis" whiteSpace="nowrap" title={attributes} data-testid="attributes">
          <Text as="code" fontFamily="fontFamilyCode" fontSize="fontSize20">{attributes}</Text>
        </Box>
        <Button variant="secondary_icon" size="icon_small" onClick={() => onEditAttributes(w)}>
          <EditIcon decorative={false} title={`Edit attributes of ${w.friendly_name}`} />
        </Button>
      </Box>
    </Box>
  );
}

export function WorkerTable({ workers, activities, ...actions }: Actions & { workers: WorkerRow[]; activities: Activity[] }): ReactNode {
  return (
    <Table scrollHorizontally>
      <THead>
        <Tr>
          <Th>Worker and attributes</Th>
          <Th>Activity</Th>
          <Th>Connection</Th>
          <Th>Actions</Th>
        </Tr>
      </THead>
      <TBody>
        {workers.map((w) => (
          <Tr key={w.sid} data-worker-sid={w.sid} verticalAlign="top">
            <Td><WorkerCell w={w} onEditAttributes={actions.onEditAttributes} /></Td>
            <Td>
              <Box minWidth="size20">
                <Select id={`activity-of-${w.sid}`} aria-label={`Activity of ${w.friendly_name}`} value={w.activity_sid}
                  onChange={(e) => actions.onSetActivity(w, e.target.value)} data-testid="worker-activity">
                  {activities.map((a) => <Option key={a.sid} value={a.sid}>{a.friendly_name}</Option>)}
                </Select>
              </Box>
            </Td>
            <Td data-testid="state">
              <Box display="flex" flexDirection="column" rowGap="space20" alignItems="flex-start" maxWidth="size20">
                <Badge as="span" variant={w.connections > 0 ? 'success' : 'default'}>{w.connections > 0 ? 'Connected' : 'Disconnected'}</Badge>
                <Text as="span" fontSize="fontSize20" color="colorTextWeak">{connectionWords(w)}</Text>
              </Box>
            </Td>
            <Td>
              <Box display="flex" flexWrap="wrap" columnGap="space30" rowGap="space30" maxWidth="size30">
                <Button as="a" variant="secondary" size="small" href={`${BASE}/agent?worker=${encodeURIComponent(w.sid)}`} target="_blank"
                  aria-label={`Open agent desktop of ${w.friendly_name} (opens in a new tab)`}>
                  Open agent desktop
                </Button>
                <Button variant="secondary" size="small" onClick={() => actions.onCreateLink(w)} aria-label={`Create sign-in link for ${w.friendly_name}`}>
                  Create sign-in link
                </Button>
                <Button variant="destructive_secondary" size="small" onClick={() => actions.onDelete(w)} aria-label={`Delete ${w.friendly_name}`}>
                  <DeleteIcon decorative />Delete
                </Button>
              </Box>
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
