import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalTimeZone, checkCron, describeSchedule, firstWindow, nextOccurrence, previousOccurrence, type Schedule } from '../src/digests/index.js';

const at = (iso: string) => new Date(iso);
const next = (s: Schedule, from: string) => nextOccurrence(s, at(from))?.toISOString();
const prev = (s: Schedule, from: string) => previousOccurrence(s, at(from))?.toISOString();

/** The next `n` occurrences after `from`. */
function series(s: Schedule, from: string, n: number): string[] {
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    t = nextOccurrence(s, t)!;
    out.push(t.toISOString());
  }
  return out;
}

describe('daily schedules', () => {
  const berlin8: Schedule = { every: 'daily', time: '08:00', timezone: 'Europe/Berlin' };

  it('keeps 08:00 wall-clock time across the spring-forward night in Europe/Berlin (a 23-hour day)', () => {
    expect(series(berlin8, '2025-03-28T12:00:00Z', 3)).toEqual(['2025-03-29T07:00:00.000Z', '2025-03-30T06:00:00.000Z', '2025-03-31T06:00:00.000Z']);
  });

  it('keeps 08:00 across the fall-back night in America/New_York (a 25-hour day)', () => {
    const ny8: Schedule = { every: 'daily', time: '08:00', timezone: 'America/New_York' };
    expect(series(ny8, '2025-11-01T00:00:00Z', 3)).toEqual(['2025-11-01T12:00:00.000Z', '2025-11-02T13:00:00.000Z', '2025-11-03T13:00:00.000Z']);
  });

  it('runs a time that does not exist (02:30 on spring-forward day) as far after the jump: 03:30', () => {
    const berlin0230: Schedule = { every: 'daily', time: '02:30', timezone: 'Europe/Berlin' };
    // 02:30 CET = 01:30Z before; on 30 March clocks go 02:00 → 03:00, so 03:30 CEST = 01:30Z; then 02:30 CEST = 00:30Z.
    expect(series(berlin0230, '2025-03-28T12:00:00Z', 3)).toEqual(['2025-03-29T01:30:00.000Z', '2025-03-30T01:30:00.000Z', '2025-03-31T00:30:00.000Z']);
    const ny0230: Schedule = { every: 'daily', time: '02:30', timezone: 'America/New_York' };
    expect(series(ny0230, '2025-03-08T12:00:00Z', 2)).toEqual(['2025-03-09T07:30:00.000Z', '2025-03-10T06:30:00.000Z']);
  });

  it('runs a time that happens twice (01:30 on fall-back day) once, at the first of the two', () => {
    const ny0130: Schedule = { every: 'daily', time: '01:30', timezone: 'America/New_York' };
    // 01:30 EDT = 05:30Z; the second 01:30 (EST, 06:30Z) is not another run.
    expect(series(ny0130, '2025-11-01T12:00:00Z', 2)).toEqual(['2025-11-02T05:30:00.000Z', '2025-11-03T06:30:00.000Z']);
    expect(prev(ny0130, '2025-11-02T07:00:00Z')).toBe('2025-11-02T05:30:00.000Z');
    const berlin0230: Schedule = { every: 'daily', time: '02:30', timezone: 'Europe/Berlin' };
    expect(series(berlin0230, '2025-10-25T12:00:00Z', 2)).toEqual(['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);
  });

  it('crosses a year boundary', () => {
    expect(series(berlin8, '2025-12-30T12:00:00Z', 3)).toEqual(['2025-12-31T07:00:00.000Z', '2026-01-01T07:00:00.000Z', '2026-01-02T07:00:00.000Z']);
    expect(prev(berlin8, '2026-01-01T06:59:59Z')).toBe('2025-12-31T07:00:00.000Z');
  });

  it('counts an occurrence exactly at `now` as previous, never as next', () => {
    expect(next(berlin8, '2025-01-27T07:00:00.000Z')).toBe('2025-01-28T07:00:00.000Z');
    expect(prev(berlin8, '2025-01-27T07:00:00.000Z')).toBe('2025-01-27T07:00:00.000Z');
    expect(prev(berlin8, '2025-01-27T06:59:59.999Z')).toBe('2025-01-26T07:00:00.000Z');
  });
});

describe('weekly schedules', () => {
  const monday8: Schedule = { every: 'weekly', weekday: 'mon', time: '08:00', timezone: 'Europe/Berlin' };

  it('goes from Sunday to the Monday of the next week, and from Monday 08:00 to the next Monday', () => {
    expect(next(monday8, '2025-01-26T20:00:00Z')).toBe('2025-01-27T07:00:00.000Z');
    expect(next(monday8, '2025-01-27T07:00:00Z')).toBe('2025-02-03T07:00:00.000Z');
    expect(prev(monday8, '2025-02-02T23:00:00Z')).toBe('2025-01-27T07:00:00.000Z');
  });

  it('keeps the weekday in the subscriber’s zone when it is another day in UTC', () => {
    // Monday 00:30 in Berlin is Sunday 23:30 UTC.
    const early: Schedule = { every: 'weekly', weekday: 'mon', time: '00:30', timezone: 'Europe/Berlin' };
    expect(next(early, '2025-01-22T00:00:00Z')).toBe('2025-01-26T23:30:00.000Z');
  });

  it('keeps wall-clock time across a DST change in New York', () => {
    const sunday9: Schedule = { every: 'weekly', weekday: 'sun', time: '09:00', timezone: 'America/New_York' };
    expect(series(sunday9, '2025-03-01T00:00:00Z', 2)).toEqual(['2025-03-02T14:00:00.000Z', '2025-03-09T13:00:00.000Z']);
  });

  it('crosses a year boundary (Thursday 1 January 2026)', () => {
    const thursday: Schedule = { every: 'weekly', weekday: 'thu', time: '07:15', timezone: 'America/New_York' };
    expect(series(thursday, '2025-12-24T00:00:00Z', 2)).toEqual(['2025-12-25T12:15:00.000Z', '2026-01-01T12:15:00.000Z']);
  });
});

describe('cron schedules', () => {
  it('runs weekdays only, over a weekend and a DST change (Friday EST → Monday EDT)', () => {
    const weekdays: Schedule = { cron: '0 8 * * 1-5', timezone: 'America/New_York' };
    expect(next(weekdays, '2025-03-07T13:00:00Z')).toBe('2025-03-10T12:00:00.000Z');
    expect(prev(weekdays, '2025-03-10T11:00:00Z')).toBe('2025-03-07T13:00:00.000Z');
  });

  it('folds the spring-forward gap onto the hour after it, with no duplicate run', () => {
    const quarter: Schedule = { cron: '*/15 * * * *', timezone: 'Europe/Berlin' };
    expect(series(quarter, '2025-03-30T00:30:00Z', 6)).toEqual(
      ['00:45', '01:00', '01:15', '01:30', '01:45', '02:00'].map((t) => `2025-03-30T${t}:00.000Z`),
    );
  });

  it('does not repeat the doubled hour of a fall-back night', () => {
    const hourly: Schedule = { cron: '0 * * * *', timezone: 'Europe/Berlin' };
    // 01:00 CEST, 02:00 CEST, then 03:00 CET: the second 02:00 (CET, 01:00Z) is not run again.
    expect(series(hourly, '2025-10-25T22:30:00Z', 3)).toEqual(['2025-10-25T23:00:00.000Z', '2025-10-26T00:00:00.000Z', '2025-10-26T02:00:00.000Z']);
  });

  it('crosses a year boundary, and knows the last day of the month', () => {
    const newYear: Schedule = { cron: '0 0 1 1 *', timezone: 'Europe/Berlin' };
    expect(next(newYear, '2025-06-01T00:00:00Z')).toBe('2025-12-31T23:00:00.000Z');
    const lastDay: Schedule = { cron: '0 18 L * *', timezone: 'UTC' };
    expect(series(lastDay, '2025-01-31T19:00:00Z', 2)).toEqual(['2025-02-28T18:00:00.000Z', '2025-03-31T18:00:00.000Z']);
  });

  it('reads day-of-month and day-of-week like Vixie cron: either one matches when both are restricted', () => {
    const either: Schedule = { cron: '0 12 13 * 5', timezone: 'UTC' };
    // Friday 7 Feb 2025, then Thursday 13 Feb, then Friday 14 Feb.
    expect(series(either, '2025-02-06T13:00:00Z', 3)).toEqual(['2025-02-07T12:00:00.000Z', '2025-02-13T12:00:00.000Z', '2025-02-14T12:00:00.000Z']);
  });

  it('explains why an expression cannot be a digest schedule', () => {
    expect(checkCron('0 8 * * 1-5')).toBeNull();
    expect(checkCron('0 8 * *')).toMatch(/5 fields/);
    expect(checkCron('0 0 8 * * *')).toMatch(/5 fields/);
    expect(checkCron('61 8 * * *')).toMatch(/minute/);
    expect(checkCron('0 0 30 2 *')).toMatch(/day|never/);
    expect(checkCron('nonsense')).not.toBeNull();
  });
});

describe('windows and zones', () => {
  it("puts a new subscription's first digest at the next occurrence, covering one period before it", () => {
    const monday8: Schedule = { every: 'weekly', weekday: 'mon', time: '08:00', timezone: 'Europe/Berlin' };
    const w = firstWindow(monday8, at('2025-01-29T10:00:00Z'));
    expect(w).toEqual({ windowStart: at('2025-01-27T07:00:00Z'), dueAt: at('2025-02-03T07:00:00Z') });
    const weekdays: Schedule = { cron: '0 8 * * 1-5', timezone: 'UTC' };
    expect(firstWindow(weekdays, at('2025-02-01T12:00:00Z'))).toEqual({ windowStart: at('2025-01-31T08:00:00Z'), dueAt: at('2025-02-03T08:00:00Z') });
  });

  it('knows IANA zones and refuses anything else', () => {
    expect(canonicalTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    for (const bad of ['Mars/Olympus', '+01:00', '', 'Europe/Berlin; DROP']) expect(canonicalTimeZone(bad)).toBeUndefined();
  });

  it('describes schedules in words', () => {
    expect(describeSchedule({ every: 'weekly', weekday: 'mon', time: '08:00', timezone: 'Europe/Berlin' })).toBe('every Monday at 08:00 (Europe/Berlin)');
    expect(describeSchedule({ every: 'daily', time: '07:30', timezone: 'UTC' })).toBe('every day at 07:30 (UTC)');
  });

  it('never leaves an occurrence between the previous and the next one (any instant, DST zones)', () => {
    const schedules: Schedule[] = [
      { every: 'daily', time: '02:30', timezone: 'Europe/Berlin' },
      { every: 'daily', time: '01:30', timezone: 'America/New_York' },
      { every: 'weekly', weekday: 'sun', time: '02:15', timezone: 'Australia/Lord_Howe' },
      { cron: '*/20 1-3 * * *', timezone: 'America/New_York' },
      { cron: '0 0 * * 1', timezone: 'America/Santiago' },
    ];
    const start = Date.UTC(2025, 0, 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 86_400 }), fc.constantFrom(...schedules), (seconds, s) => {
        const t = new Date(start + seconds * 1000);
        const p = previousOccurrence(s, t)!;
        const n = nextOccurrence(s, t)!;
        expect(p.getTime()).toBeLessThanOrEqual(t.getTime());
        expect(n.getTime()).toBeGreaterThan(t.getTime());
        expect(nextOccurrence(s, p)!.getTime()).toBe(n.getTime());
        expect(previousOccurrence(s, new Date(n.getTime() - 1))!.getTime()).toBe(p.getTime());
      }),
      { numRuns: 300 },
    );
  });
});
