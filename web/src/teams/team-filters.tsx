/**
 * Filter the Teams view by name, activity and connection state. Memoised on props that change
 * rarely (the activities' names, the connection counts): Paste's Input and Selects are not
 * re-rendered by every live update, only when what they show changes.
 */
import { Box } from '@twilio-paste/core/box';
import { Input } from '@twilio-paste/core/input';
import { Label } from '@twilio-paste/core/label';
import { Option, Select } from '@twilio-paste/core/select';
import { SearchIcon } from '@twilio-paste/icons/esm/SearchIcon';
import { memo } from 'react';
import type { ReactNode } from 'react';
import type { ConnectionFilter, TeamCounts, TeamFilter } from './team-filter';
import type { ActivityChoice } from './team-row';

export const TeamFilters = memo(function TeamFilters({ filter, onChange, activities, counts }: {
  filter: TeamFilter;
  onChange: (filter: TeamFilter) => void;
  activities: readonly ActivityChoice[];
  counts: TeamCounts;
}): ReactNode {
  return (
    <Box display="flex" flexWrap="wrap" columnGap="space60" rowGap="space40" alignItems="flex-end" role="search" aria-label="Filter workers">
      <Box flexGrow={1} minWidth="size20" maxWidth="size40">
        <Label htmlFor="filter-name">Name</Label>
        <Input id="filter-name" type="search" value={filter.name} placeholder="Name or SID" data-testid="filter-name"
          insertBefore={<SearchIcon decorative />} onChange={(e) => onChange({ ...filter, name: e.target.value })} />
      </Box>
      <Box minWidth="size20">
        <Label htmlFor="filter-activity">Activity</Label>
        <Select id="filter-activity" value={filter.activitySid} data-testid="filter-activity"
          onChange={(e) => onChange({ ...filter, activitySid: e.target.value })}>
          <Option value="">All activities</Option>
          {activities.map((a) => <Option key={a.sid} value={a.sid}>{a.name}</Option>)}
        </Select>
      </Box>
      <Box minWidth="size20">
        <Label htmlFor="filter-state">Connection</Label>
        <Select id="filter-state" value={filter.state} data-testid="filter-state"
          onChange={(e) => onChange({ ...filter, state: e.target.value as ConnectionFilter })}>
          <Option value="all">All ({counts.total})</Option>
          <Option value="connected">Connected ({counts.connected})</Option>
          <Option value="disconnected">Disconnected ({counts.disconnected})</Option>
          <Option value="pending-logout">Logout pending ({counts.pending})</Option>
        </Select>
      </Box>
    </Box>
  );
});
