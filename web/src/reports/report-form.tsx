/**
 * The filter bar every report shares: start and end dates (local days, both inclusive), the
 * time zone (the browser's by default), and a page's own fields. A refusal from the server is
 * shown under the field it names; the rules are the server's, the page checks nothing itself.
 */
import { Box } from '@twilio-paste/core/box';
import { Button } from '@twilio-paste/core/button';
import { HelpText } from '@twilio-paste/core/help-text';
import { Input } from '@twilio-paste/core/input';
import { Label } from '@twilio-paste/core/label';
import { useId } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { fieldError } from '../api';

export const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The calendar day of `at` in `zone` as YYYY-MM-DD (the browser's zone if `zone` is unknown). */
export function dayIn(zone: string, at: number = Date.now()): string {
  const format = (z: string) => new Intl.DateTimeFormat('en-CA', { timeZone: z, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
  try {
    return format(zone);
  } catch {
    return format(BROWSER_ZONE);
  }
}

/** Date and time of `at` as read in `zone`. */
export function timeIn(zone: string, at: number, withSeconds = true): string {
  const options: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', ...(withSeconds ? { second: '2-digit' } : {}), hourCycle: 'h23' };
  try {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone: zone }).format(at);
  } catch {
    return new Intl.DateTimeFormat(undefined, options).format(at);
  }
}

export const hours = (h: number): string => h.toLocaleString(undefined, { maximumFractionDigits: 3 });

export interface RangeValues {
  start_date: string;
  end_date: string;
  time_zone: string;
}

/** One labelled field with the server's refusal under it when it names this field. */
export function Field({ name, label, error, help, children }: {
  name: string; label: string; error: unknown; help?: string; children: (id: string, invalid: boolean) => ReactNode;
}): ReactNode {
  const id = `${useId()}-${name}`;
  const problem = fieldError(error, name);
  return (
    <Box minWidth="size20" flexGrow={1} flexBasis="10rem">
      <Label htmlFor={id}>{label}</Label>
      {children(id, problem !== null)}
      {problem ? <HelpText variant="error" id={`${id}-error`} data-testid={`${name}-error`}>{problem}</HelpText> : help ? <HelpText>{help}</HelpText> : null}
    </Box>
  );
}

export function ReportForm({ values, onChange, onSubmit, error, loading, children, label }: {
  values: RangeValues;
  onChange: (values: RangeValues) => void;
  onSubmit: () => void;
  error: unknown;
  loading: boolean;
  children?: ReactNode;
  label: string;
}): ReactNode {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <Box as="form" onSubmit={submit} aria-label={label} marginBottom="space70" display="flex" flexWrap="wrap" columnGap="space50" rowGap="space50" alignItems="flex-start">
      <Field name="start_date" label="From" error={error}>
        {(id, invalid) => <Input id={id} name="start_date" type="date" value={values.start_date} hasError={invalid} onChange={(e) => onChange({ ...values, start_date: e.target.value })} />}
      </Field>
      <Field name="end_date" label="To (inclusive)" error={error}>
        {(id, invalid) => <Input id={id} name="end_date" type="date" value={values.end_date} hasError={invalid} onChange={(e) => onChange({ ...values, end_date: e.target.value })} />}
      </Field>
      <Field name="time_zone" label="Time zone" error={error} help="An IANA zone, e.g. Europe/Paris">
        {(id, invalid) => <Input id={id} name="time_zone" type="text" value={values.time_zone} hasError={invalid} onChange={(e) => onChange({ ...values, time_zone: e.target.value })} />}
      </Field>
      {children}
      <Box paddingTop="space80">
        <Button type="submit" variant="primary" loading={loading}>Show</Button>
      </Box>
    </Box>
  );
}
