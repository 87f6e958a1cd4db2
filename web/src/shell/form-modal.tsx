/**
 * A small modal form: heading, fields, an error from the server, Cancel and a submit button.
 * Create and edit dialogs across the console share it so they behave alike (Enter submits,
 * Escape cancels, focus starts in the first field).
 */
import { Alert } from '@twilio-paste/core/alert';
import { Button } from '@twilio-paste/core/button';
import { Modal, ModalBody, ModalFooter, ModalFooterActions, ModalHeader, ModalHeading } from '@twilio-paste/core/modal';
import { Stack } from '@twilio-paste/core/stack';
import { Text } from '@twilio-paste/core/text';
import { useId } from 'react';
import type { FormEvent, ReactNode, RefObject } from 'react';

export function FormModal({ isOpen, heading, submitLabel, busy, error, onSubmit, onDismiss, initialFocusRef, children, wide }: {
  isOpen: boolean;
  heading: string;
  submitLabel: string;
  busy: boolean;
  /** A refusal that names no field of this form. */
  error: string | null;
  onSubmit: () => void;
  onDismiss: () => void;
  initialFocusRef?: RefObject<HTMLElement | null>;
  children: ReactNode;
  wide?: boolean;
}): ReactNode {
  const headingId = useId();
  const formId = useId();
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <Modal isOpen={isOpen} onDismiss={onDismiss} size={wide ? 'wide' : 'default'} ariaLabelledby={headingId}
      initialFocusRef={initialFocusRef}>
      <ModalHeader>
        <ModalHeading as="h2" id={headingId}>{heading}</ModalHeading>
      </ModalHeader>
      <ModalBody>
        <form id={formId} onSubmit={submit} noValidate>
          <Stack orientation="vertical" spacing="space60">
            {error ? <Alert variant="error"><Text as="span">{error}</Text></Alert> : null}
            {children}
          </Stack>
        </form>
      </ModalBody>
      <ModalFooter>
        <ModalFooterActions>
          <Button variant="secondary" onClick={onDismiss}>Cancel</Button>
          <Button variant="primary" type="submit" form={formId} loading={busy}>{submitLabel}</Button>
        </ModalFooterActions>
      </ModalFooter>
    </Modal>
  );
}
