/**
 * Manage › General › Logout settings: the logout activity, the automatic status update and the
 * offline threshold. The form keeps a draft (stashed across a session expiry) until it is saved.
 */
import { Alert } from '@twilio-paste/core/alert';
import { Anchor } from '@twilio-paste/core/anchor';
import { Badge } from '@twilio-paste/core/badge';
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import { Card } from '@twilio-paste/core/card';
import { Heading } from '@twilio-paste/core/heading';
import { HelpText } from '@twilio-paste/core/help-text';
import { Input } from '@twilio-paste/core/input';
import { Label } from '@twilio-paste/core/label';
import { Stack } from '@twilio-paste/core/stack';
import { Switch } from '@twilio-paste/core/switch';
import { Text } from '@twilio-paste/core/text';
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { api, ApiError, fieldError, messageOf } from '../api';
import type { Settings } from '../contract';
import { dateAndTime } from '../describe';
import { useStashedState } from '../session/drafts';
import { BreakerForm } from '../settings/breaker-form';
import { DisconnectionHelp } from '../settings/disconnection-help';
import { thresholdForWire, thresholdProblem } from '../settings/threshold';
import { LoadError, LoadingRows } from '../shell/page-states';
import { PageTitle } from '../shell/page-title';
import { BASE, followLink } from '../shell/router';
import { useToast } from '../shell/toasts';
import { useResource } from '../shell/use-resource';

interface Draft {
  enabled: boolean;
  threshold: string;
}

const fromSettings = (s: Settings): Draft => ({ enabled: s.enabled, threshold: String(s.threshold_s) });

export function SettingsPage(): ReactNode {
  const settings = useResource(api.settings.get);
  return (
    <Box maxWidth="size80">
      <PageTitle section="Manage" title="General settings">
        Whether and how Rollcall changes the status of agents it can no longer reach, so tasks go only to agents
        who are there and nobody is billed for hours an absent agent sat available.
      </PageTitle>
      {settings.data ? (
        <Stack orientation="vertical" spacing="space80">
          <SettingsForm settings={settings.data} onSaved={settings.set} />
          <BreakerForm settings={settings.data} onSaved={settings.set} />
        </Stack>
      ) : settings.error ? (
        <LoadError error={settings.error} onRetry={() => void settings.reload()} what="the logout settings" />
      ) : (
        <LoadingRows rows={4} label="Loading the logout settings…" />
      )}
      <Box marginTop="space90">
        <DisconnectionHelp />
      </Box>
    </Box>
  );
}

function SettingsForm({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }): ReactNode {
  const [draft, setDraft, restored] = useStashedState<Draft | null>('settings', null);
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<unknown>(null);
  const toast = useToast();
  const saved = fromSettings(settings);
  const form = draft ?? saved;
  const dirty = draft !== null && (draft.enabled !== saved.enabled || draft.threshold.trim() !== saved.threshold);
  const localProblem = thresholdProblem(form.threshold);
  const thresholdError = fieldError(refusal, 'threshold_s') ?? (dirty ? localProblem : null);
  const otherRefusal = refusal && !fieldError(refusal, 'threshold_s') ? refusal : null;

  const edit = (change: Partial<Draft>): void => {
    setDraft({ ...form, ...change });
    setRefusal(null);
  };

  async function save(event: FormEvent): Promise<void> {
    event.preventDefault();
    // Save stays enabled (a disabled button explains nothing); with nothing changed it says so.
    if (!dirty) {
      setDraft(null);
      toast({ variant: 'neutral', message: 'Nothing to save: the logout settings are unchanged.' });
      return;
    }
    setSaving(true);
    setRefusal(null);
    try {
      // Sent even when the browser's check fails: the server's rule decides and its refusal is shown.
      const change = { enabled: form.enabled, threshold_s: thresholdForWire(form.threshold) as number };
      const next = await api.settings.update(change);
      onSaved(next);
      setDraft(null);
      toast({ variant: 'success', message: `Logout settings saved: automatic status update ${next.enabled ? 'on' : 'off'}, threshold ${next.threshold_s} s.` });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) setRefusal(e);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Card padding="space90">
      <form onSubmit={(e) => void save(e)} noValidate aria-labelledby="logout-settings-heading">
        <Stack orientation="vertical" spacing="space80">
          <Box display="flex" alignItems="center" justifyContent="space-between" columnGap="space40" flexWrap="wrap" rowGap="space30">
            <Heading as="h2" variant="heading30" marginBottom="space0" id="logout-settings-heading">Logout settings</Heading>
            {dirty ? <Badge as="span" variant="warning" data-testid="unsaved-badge">Unsaved changes</Badge> : null}
          </Box>
          {restored && dirty ? (
            <Alert variant="neutral">
              <Text as="span">Your unsaved changes from before you signed in again are back. Save them or discard them.</Text>
            </Alert>
          ) : null}
          {otherRefusal ? <Alert variant="error"><Text as="span">{messageOf(otherRefusal)}</Text></Alert> : null}

          <Box>
            <Label as="div" id="logout-activity-label">Logout activity</Label>
            <Box role="group" aria-labelledby="logout-activity-label" display="flex" alignItems="center" columnGap="space40" flexWrap="wrap">
              <Text as="span" fontWeight="fontWeightSemibold" data-testid="logout-activity-name">{settings.logout_activity_name}</Text>
              <Anchor href={`${BASE}/activities`} onClick={followLink}>Manage activities</Anchor>
            </Box>
            <HelpText>
              The activity that means an agent is not there. You can rename it on the Activities page, but not remove it.
            </HelpText>
          </Box>

          <Box>
            <Switch
              id="automatic-status-update"
              checked={form.enabled}
              onChange={(e) => edit({ enabled: e.target.checked })}
              helpText={`On: agents who stay disconnected longer than the offline threshold are moved to ${settings.logout_activity_name}. Off: their status stays until they change it or log out. We recommend keeping it on, especially if you are billed by active user hours.`}
            >
              Automatic status update
            </Switch>
          </Box>

          <Box>
            <Label htmlFor="offline-threshold" required>Offline threshold (seconds)</Label>
            <Box maxWidth="size20">
              <Input
                id="offline-threshold"
                name="threshold_s"
                type="text"
                inputMode="numeric"
                value={form.threshold}
                onChange={(e) => edit({ threshold: e.target.value })}
                hasError={thresholdError !== null}
                aria-invalid={thresholdError !== null}
                aria-describedby="offline-threshold-help"
                insertAfter={<Text as="span" color="colorTextWeak">s</Text>}
              />
            </Box>
            <HelpText id="offline-threshold-help" variant={thresholdError ? 'error' : 'default'} data-testid="threshold-help">
              {thresholdError ?? 'How long to wait after a disconnection before the status changes: a whole number from 1 to 86 400. Default 30.'}
            </HelpText>
          </Box>

          <Box display="flex" alignItems="center" columnGap="space50" flexWrap="wrap" rowGap="space40">
            <Button type="submit" variant="primary" loading={saving}>Save</Button>
            {dirty ? <Button variant="secondary" onClick={() => { setDraft(null); setRefusal(null); }}>Discard changes</Button> : null}
            <Text as="span" color="colorTextWeak" fontSize="fontSize30" data-testid="last-changed">
              {settings.updated_by && settings.updated_at
                ? `Last changed by ${settings.updated_by} at ${dateAndTime(settings.updated_at)}`
                : 'The installation defaults apply; nobody has changed these settings yet.'}
            </Text>
          </Box>
        </Stack>
      </form>
    </Card>
  );
}
