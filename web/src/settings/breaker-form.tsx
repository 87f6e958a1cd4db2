/**
 * The mass-disconnect breaker's settings (a Rollcall extension on the Workspace): on or off, the
 * share of agents and the minimum count that make a drop an outage, the window it is counted in
 * and how long logouts are then held. Values are checked by the server; its refusal names the field.
 */
import { Alert } from '@twilio-paste/core/alert';
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
import type { OutageBreaker, Settings } from '../contract';
import { useToast } from '../shell/toasts';

type NumberField = 'share_percent' | 'min_agents' | 'window_s' | 'hold_s';

const NUMBERS: readonly { key: NumberField; label: string; unit: string; help: string }[] = [
  { key: 'share_percent', label: 'Share of connected agents', unit: '%', help: 'More than this share dropping together is an outage. Default 20.' },
  { key: 'min_agents', label: 'Minimum connected agents', unit: 'agents', help: 'Never trips with fewer agents connected than this. Default 50.' },
  { key: 'window_s', label: 'Window', unit: 's', help: 'Drops noticed within this many seconds count together. Default 10.' },
  { key: 'hold_s', label: 'Hold', unit: 's', help: 'How long logouts are postponed once it trips. Default 300 (5 minutes).' },
];

type Draft = { enabled: boolean } & Record<NumberField, string>;

const fromBreaker = (b: OutageBreaker): Draft => ({
  enabled: b.enabled, share_percent: String(b.share_percent), min_agents: String(b.min_agents), window_s: String(b.window_s), hold_s: String(b.hold_s),
});

/** A number as typed; text that is not one is sent as is, so the server's refusal explains it. */
const wire = (text: string): number | string => (/^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text);

export function BreakerForm({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }): ReactNode {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<unknown>(null);
  const toast = useToast();
  const form = draft ?? fromBreaker(settings.outage_breaker);
  const edit = (change: Partial<Draft>): void => {
    setDraft({ ...form, ...change });
    setRefusal(null);
  };
  const named = NUMBERS.some((n) => fieldError(refusal, `breaker_${n.key}`) !== null);

  async function save(event: FormEvent): Promise<void> {
    event.preventDefault();
    setSaving(true);
    try {
      const change = { enabled: form.enabled, share_percent: wire(form.share_percent), min_agents: wire(form.min_agents), window_s: wire(form.window_s), hold_s: wire(form.hold_s) };
      const next = await api.settings.updateBreaker(change as Partial<OutageBreaker>);
      onSaved(next);
      setDraft(null);
      toast({ variant: 'success', message: `Mass-disconnect breaker saved: ${next.outage_breaker.enabled ? 'on' : 'off'}.` });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) setRefusal(e);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Card padding="space90">
      <form onSubmit={(e) => void save(e)} noValidate aria-labelledby="breaker-heading" data-testid="breaker-form">
        <Stack orientation="vertical" spacing="space70">
          <Heading as="h2" variant="heading30" marginBottom="space0" id="breaker-heading">Mass-disconnect breaker</Heading>
          {refusal && !named ? <Alert variant="error"><Text as="span">{messageOf(refusal)}</Text></Alert> : null}
          <Switch
            id="breaker-enabled"
            checked={form.enabled}
            onChange={(e) => edit({ enabled: e.target.checked })}
            helpText="On: when a large share of agents drop at once (a site's network, a proxy), their logouts are held and you are alerted, instead of logging everyone out. Turning it off ends an active hold."
          >
            Hold logouts during an outage
          </Switch>
          {NUMBERS.map((n) => {
            const error = fieldError(refusal, `breaker_${n.key}`);
            return (
              <Box key={n.key}>
                <Label htmlFor={`breaker-${n.key}`} required>{n.label}</Label>
                <Box maxWidth="size20">
                  <Input id={`breaker-${n.key}`} type="text" inputMode="numeric" value={form[n.key]} onChange={(e) => edit({ [n.key]: e.target.value })}
                    hasError={error !== null} aria-invalid={error !== null} insertAfter={<Text as="span" color="colorTextWeak">{n.unit}</Text>} />
                </Box>
                <HelpText variant={error ? 'error' : 'default'}>{error ?? n.help}</HelpText>
              </Box>
            );
          })}
          <Box display="flex" columnGap="space50">
            <Button type="submit" variant="primary" loading={saving}>Apply breaker settings</Button>
            {draft ? <Button variant="secondary" onClick={() => { setDraft(null); setRefusal(null); }}>Discard changes</Button> : null}
          </Box>
        </Stack>
      </form>
    </Card>
  );
}
