import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTimeZone, civilFromDays, daysFromCivil, HOUR_MS, offsetAt, parseCivilDate, periodsOf, ZoneCalendar } from './calendar.js';
import { resolveAdvisorRange, resolveRange, resolveReportRange } from './report-range.js';

const utc = (iso: string): number => Date.parse(iso);
const NOW = utc('2027-01-01T00:00:00Z');

describe('civil calendar arithmetic', () => {
  it('round-trips days and dates, and agrees with Date.UTC', () => {
    fc.assert(fc.property(fc.integer({ min: -200_000, max: 200_000 }), (days) => {
      const date = civilFromDays(days);
      expect(daysFromCivil(date)).toBe(days);
      expect(Date.UTC(date.year, date.month - 1, date.day) / 86_400_000).toBe(days);
    }));
  });

  it.each([
    ['2026-02-28', true], ['2026-02-29', false], ['2028-02-29', true], ['2026-13-01', false], ['2026-1-01', false], ['26-01-01', false],
  ])('parseCivilDate(%s) is a date: %s', (text, valid) => {
    expect(parseCivilDate(text) !== null).toBe(valid);
  });
});

describe('zones', () => {
  it('knows IANA zones by any case and refuses the rest naming TimeZone', () => {
    expect(checkTimeZone('europe/paris')).toEqual({ ok: true, value: 'Europe/Paris' });
    expect(checkTimeZone('UTC')).toEqual({ ok: true, value: 'UTC' });
    for (const bad of ['Mars/Olympus_Mons', '+01:00', '', 'Europe/Paris; DROP']) {
      const r = checkTimeZone(bad);
      expect(r.ok ? null : r.refusal.field).toBe('TimeZone');
    }
  });

  it('reads offsets in whole seconds', () => {
    expect(offsetAt('Europe/Paris', utc('2026-01-15T12:00:00.750Z'))).toBe(HOUR_MS);
    expect(offsetAt('Europe/Paris', utc('2026-07-15T12:00:00Z'))).toBe(2 * HOUR_MS);
    expect(offsetAt('Asia/Kolkata', utc('2026-07-15T12:00:00Z'))).toBe(5.5 * HOUR_MS);
  });

  // Local midnights, hand-checked against the zones' published rules for 2026.
  it.each([
    ['Europe/Paris', '2026-03-29', '2026-03-28T23:00:00Z', 23],
    ['Europe/Paris', '2026-03-30', '2026-03-29T22:00:00Z', 24],
    ['Europe/Paris', '2026-10-25', '2026-10-24T22:00:00Z', 25],
    ['America/New_York', '2026-03-08', '2026-03-08T05:00:00Z', 23],
    ['America/New_York', '2026-11-01', '2026-11-01T04:00:00Z', 25],
    // Chile moves from 24:00 to 01:00: the 6th of September has no midnight and starts at the change.
    ['America/Santiago', '2026-09-06', '2026-09-06T04:00:00Z', 23],
    ['Asia/Kolkata', '2026-06-01', '2026-05-31T18:30:00Z', 24],
    ['UTC', '2026-06-01', '2026-06-01T00:00:00Z', 24],
  ])('%s: %s starts at %s and lasts %i h', (zone, date, start, hours) => {
    const d = parseCivilDate(date);
    if (!d) throw new Error('bad date');
    const calendar = new ZoneCalendar(zone, utc(start) - 86_400_000, utc(start) + 2 * 86_400_000);
    expect(calendar.startOfDay(d)).toBe(utc(start));
    const [day] = periodsOf(calendar, utc(start), utc(start) + 30 * HOUR_MS, 'day');
    expect(day).toMatchObject({ label: date, startAt: utc(start) });
    expect(((day?.endAt ?? 0) - (day?.startAt ?? 0)) / HOUR_MS).toBe(hours);
  });

  it('splits a range into local months and clips the ends', () => {
    const calendar = new ZoneCalendar('Europe/Paris', utc('2026-02-15T00:00:00Z'), utc('2026-04-10T00:00:00Z'));
    const periods = periodsOf(calendar, utc('2026-02-15T00:00:00Z'), utc('2026-04-10T00:00:00Z'), 'month');
    expect(periods.map((p) => [p.label, new Date(p.startAt).toISOString(), new Date(p.endAt).toISOString()])).toEqual([
      ['2026-02', '2026-02-15T00:00:00.000Z', '2026-02-28T23:00:00.000Z'],
      ['2026-03', '2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z'],
      ['2026-04', '2026-03-31T22:00:00.000Z', '2026-04-10T00:00:00.000Z'],
    ]);
  });

  it('ends clock hours on the hour of the zone, also at half-hour offsets', () => {
    const paris = new ZoneCalendar('Europe/Paris', utc('2026-03-29T00:00:00Z'), utc('2026-03-30T00:00:00Z'));
    expect(paris.endOfHour(utc('2026-03-29T00:59:59Z'))).toBe(utc('2026-03-29T01:00:00Z'));
    expect(paris.endOfHour(utc('2026-03-29T01:00:00Z'))).toBe(utc('2026-03-29T02:00:00Z'));
    const kolkata = new ZoneCalendar('Asia/Kolkata', utc('2026-06-01T00:00:00Z'), utc('2026-06-02T00:00:00Z'));
    expect(kolkata.endOfHour(utc('2026-06-01T10:00:00Z'))).toBe(utc('2026-06-01T10:30:00Z'));
  });

  it('partitions any range into consecutive periods (property)', () => {
    const zones = ['Europe/Paris', 'America/New_York', 'America/Santiago', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'];
    fc.assert(fc.property(
      fc.constantFrom(...zones), fc.integer({ min: utc('2025-01-01T00:00:00Z'), max: utc('2027-01-01T00:00:00Z') }), fc.integer({ min: 1, max: 40 * 86_400_000 }),
      fc.constantFrom('day' as const, 'month' as const),
      (zone, startAt, length, granularity) => {
        const endAt = startAt + length;
        const periods = periodsOf(new ZoneCalendar(zone, startAt, endAt), startAt, endAt, granularity);
        expect(periods[0]?.startAt).toBe(startAt);
        expect(periods.at(-1)?.endAt).toBe(endAt);
        for (let i = 1; i < periods.length; i++) expect(periods[i]?.startAt).toBe(periods[i - 1]?.endAt);
        expect(new Set(periods.map((p) => p.label)).size).toBe(periods.length);
      },
    ), { numRuns: 60 });
  });
});

describe('report ranges', () => {
  const ok = (r: ReturnType<typeof resolveReportRange>) => {
    if (!r.ok) throw new Error(r.refusal.message);
    return r.value;
  };

  it('reads bare dates as local days, both ends inclusive, and instants with an exclusive end', () => {
    const march = ok(resolveReportRange({ startDate: '2026-03-01', endDate: '2026-03-31', timeZone: 'Europe/Paris', granularity: 'day' }, NOW));
    expect(new Date(march.startAt).toISOString()).toBe('2026-02-28T23:00:00.000Z');
    expect(new Date(march.endAt).toISOString()).toBe('2026-03-31T22:00:00.000Z');
    expect(march.periods).toHaveLength(31);
    const instants = resolveRange({ startDate: '2026-03-01T08:00:00+01:00', endDate: '2026-03-01T09:30:00.250Z' }, NOW, true);
    expect(instants).toEqual({ ok: true, value: { zone: 'UTC', startAt: utc('2026-03-01T07:00:00Z'), endAt: utc('2026-03-01T09:30:00.250Z') } });
    expect(resolveRange({ startDate: '2026-03-01' }, NOW, false)).toMatchObject({ ok: true, value: { endAt: NOW } });
  });

  it.each([
    [{ endDate: '2026-03-02' }, 'StartDate', /required/],
    [{ startDate: '2026-03-01' }, 'EndDate', /required/],
    [{ startDate: '2026-03-05', endDate: '2026-03-01' }, 'EndDate', /after StartDate/],
    [{ startDate: '2026-03-01T10:00:00Z', endDate: '2026-03-01T10:00:00Z' }, 'EndDate', /after StartDate/],
    [{ startDate: '2026-02-30', endDate: '2026-03-01' }, 'StartDate', /must be a date/],
    [{ startDate: '2026-03-01T10:00:00', endDate: '2026-03-02' }, 'StartDate', /with a zone/],
    [{ startDate: '2026-03-01', endDate: 'tomorrow' }, 'EndDate', /must be a date/],
    [{ startDate: '2026-03-01', endDate: '2026-03-02', timeZone: 'Europe/Pariss' }, 'TimeZone', /IANA/],
    [{ startDate: '2026-03-01', endDate: '2026-04-01' }, 'EndDate', /at most 31 days/],
    [{ startDate: '2026-03-01', endDate: '2026-03-02', granularity: 'week' }, 'Granularity', /day or month/],
    [{ startDate: '2026-01-01', endDate: '2027-01-31', granularity: 'month' }, 'EndDate', /at most 12 months/],
  ])('refuses %j naming %s', (query, field, message) => {
    const r = resolveReportRange(query, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.refusal).toMatchObject({ code: 'invalid-parameter', field });
      expect(r.refusal.message).toMatch(message);
    }
  });

  it('takes 31 local days even across a DST change, and a whole year by month', () => {
    expect(ok(resolveReportRange({ startDate: '2026-10-01', endDate: '2026-10-31', timeZone: 'Europe/Paris' }, NOW)).periods).toHaveLength(31);
    expect(ok(resolveReportRange({ startDate: '2026-01-01', endDate: '2026-12-31', timeZone: 'America/New_York', granularity: 'month' }, NOW)).periods).toHaveLength(12);
    expect(resolveAdvisorRange({ startDate: '2026-03-01', endDate: '2026-04-15' }, NOW)).toMatchObject({ ok: false, refusal: { field: 'EndDate' } });
  });
});
