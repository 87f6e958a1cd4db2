/**
 * Sign in with an Account SID + auth token or an API key SID + secret. After too many failures
 * the server answers 429 with how long to wait; the button stays off until then.
 */
import { Alert } from '@twilio-paste/core/alert';
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import { Card } from '@twilio-paste/core/card';
import { Heading } from '@twilio-paste/core/heading';
import { HelpText } from '@twilio-paste/core/help-text';
import { Input } from '@twilio-paste/core/input';
import { Label } from '@twilio-paste/core/label';
import { Paragraph } from '@twilio-paste/core/paragraph';
import { Stack } from '@twilio-paste/core/stack';
import { Text } from '@twilio-paste/core/text';
import { ProductFlexIcon } from '@twilio-paste/icons/esm/ProductFlexIcon';
import { useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { api, ApiError, messageOf } from '../api';
import { BASE, navigate, safeNext, useLocation } from '../shell/router';

function useCountdown(): [number, (seconds: number) => void] {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until <= now) return;
    const timer = window.setTimeout(() => setNow(Date.now()), 1000);
    return () => window.clearTimeout(timer);
  }, [until, now]);
  const left = Math.max(0, Math.ceil((until - now) / 1000));
  return [left, (seconds) => {
    setNow(Date.now());
    setUntil(Date.now() + seconds * 1000);
  }];
}

export function SignInPage(): ReactNode {
  const query = new URLSearchParams(useLocation().split('?')[1] ?? '');
  const next = safeNext(query.get('next')) ?? `${BASE}/settings`;
  const expired = query.get('expired') === '1';
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [waitS, startWait] = useCountdown();

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.session.signIn(username.trim(), password);
      navigate(next, { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) {
        startWait(e.retryAfterS ?? 60);
        setError(null);
      } else {
        setError(messageOf(e));
      }
      setBusy(false);
    }
  }

  return (
    <Box minHeight="100vh" backgroundColor="colorBackground" display="flex" alignItems="center" justifyContent="center" padding="space50">
      <Box as="main" width="100%" maxWidth="size50">
        <Card padding="space100">
          <Stack orientation="vertical" spacing="space70">
            <Box display="flex" alignItems="center" columnGap="space40">
              <ProductFlexIcon decorative size="sizeIcon70" color="colorTextBrandHighlight" />
              <Heading as="h1" variant="heading20" marginBottom="space0">Sign in to Rollcall</Heading>
            </Box>
            {expired ? (
              <Alert variant="warning">
                <Text as="span">Your session expired. Sign in again to continue; unsaved changes on the page are kept.</Text>
              </Alert>
            ) : null}
            {error ? <Alert variant="error"><Text as="span">{error}</Text></Alert> : null}
            {waitS > 0 ? (
              <Alert variant="error">
                <Text as="span" aria-live="polite">Too many attempts, try again in {waitS} s.</Text>
              </Alert>
            ) : null}
            <form onSubmit={(e) => void submit(e)} noValidate>
              <Stack orientation="vertical" spacing="space60">
                <Box>
                  <Label htmlFor="username" required>Account SID or API key SID</Label>
                  <Input id="username" name="username" type="text" autoComplete="username" required value={username}
                    onChange={(e) => setUsername(e.target.value)} placeholder="AC… or SK…" aria-describedby="username-help" />
                  <HelpText id="username-help">Your Twilio account SID, or the SID of an API key of this installation.</HelpText>
                </Box>
                <Box>
                  <Label htmlFor="password" required>Auth token or API key secret</Label>
                  <Input id="password" name="password" type="password" autoComplete="current-password" required value={password}
                    onChange={(e) => setPassword(e.target.value)} />
                </Box>
                <Button type="submit" variant="primary" fullWidth loading={busy} disabled={waitS > 0}>
                  Sign in
                </Button>
              </Stack>
            </form>
            <Paragraph marginBottom="space0">
              <Text as="span" color="colorTextWeak" fontSize="fontSize30">
                Agents sign in with the link their admin sends them, or with <Text as="code" fontFamily="fontFamilyCode">npx rollcall agent-link</Text>.
              </Text>
            </Paragraph>
          </Stack>
        </Card>
      </Box>
    </Box>
  );
}
