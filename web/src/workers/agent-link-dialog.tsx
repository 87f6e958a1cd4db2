/**
 * A one-time sign-in link for a worker's agent desktop, shown with its expiry and a copy button.
 * The link is created when the dialog opens: each opening makes a new one.
 */
import { Alert } from '@twilio-paste/core/alert';
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import { HelpText } from '@twilio-paste/core/help-text';
import { Input } from '@twilio-paste/core/input';
import { Label } from '@twilio-paste/core/label';
import { Modal, ModalBody, ModalFooter, ModalFooterActions, ModalHeader, ModalHeading } from '@twilio-paste/core/modal';
import { Spinner } from '@twilio-paste/core/spinner';
import { Stack } from '@twilio-paste/core/stack';
import { Text } from '@twilio-paste/core/text';
import { CopyIcon } from '@twilio-paste/icons/esm/CopyIcon';
import { useEffect, useId, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { api, ApiError, messageOf } from '../api';
import type { AgentLink, WorkerRow } from '../contract';
import { dateAndTime } from '../describe';

async function copy(text: string, input: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API off a secure origin (plain http on a LAN): select the text for Ctrl+C.
    input?.select();
    return false;
  }
}

export function AgentLinkDialog({ worker, onDismiss }: { worker: WorkerRow; onDismiss: () => void }): ReactNode {
  const headingId = useId();
  const [link, setLink] = useState<AgentLink | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<'yes' | 'select' | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let live = true;
    api.workers.createAgentLink(worker.sid).then(
      (l) => live && setLink(l),
      (e: unknown) => live && !(e instanceof ApiError && e.status === 401) && setError(messageOf(e)),
    );
    return () => {
      live = false;
    };
  }, [worker.sid]);

  const url = link ? new URL(link.url, window.location.origin).href : '';

  return (
    <Modal isOpen onDismiss={onDismiss} size="default" ariaLabelledby={headingId}>
      <ModalHeader>
        <ModalHeading as="h2" id={headingId}>Sign-in link for {worker.friendly_name}</ModalHeading>
      </ModalHeader>
      <ModalBody>
        {error ? <Alert variant="error"><Text as="span">{error}</Text></Alert> : null}
        {!link && !error ? <Spinner decorative={false} title="Creating the link" size="sizeIcon60" /> : null}
        {link ? (
          <Stack orientation="vertical" spacing="space50">
            <Box>
              <Label htmlFor="agent-link-url">Link</Label>
              <Input id="agent-link-url" ref={input} type="text" readOnly value={url} aria-describedby="agent-link-help"
                data-testid="agent-link-url" onFocus={(e) => e.target.select()} />
              <HelpText id="agent-link-help" data-testid="agent-link-expiry">
                Works once, until {dateAndTime(link.expires_at)}. Send it to {worker.friendly_name} only: whoever opens it acts as this worker.
              </HelpText>
            </Box>
            <Box display="flex" alignItems="center" columnGap="space40">
              <Button variant="secondary" onClick={() => void copy(url, input.current).then((ok) => setCopied(ok ? 'yes' : 'select'))}>
                <CopyIcon decorative />Copy link
              </Button>
              <Text as="span" aria-live="polite" color="colorTextWeak">
                {copied === 'yes' ? 'Copied.' : copied === 'select' ? 'Selected: press Ctrl+C (⌘C) to copy.' : ''}
              </Text>
            </Box>
          </Stack>
        ) : null}
      </ModalBody>
      <ModalFooter>
        <ModalFooterActions>
          <Button variant="primary" onClick={onDismiss}>Done</Button>
        </ModalFooterActions>
      </ModalFooter>
    </Modal>
  );
}
