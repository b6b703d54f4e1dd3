/**
 * When digests are due: daily at HH:MM, weekly on a weekday at HH:MM, or a 5-field cron expression,
 * each read as wall-clock time in an IANA time zone. Pure: every function takes the instant it reasons
 * from; time-zone rules come from Intl (the ICU data Node ships), not from the machine's zone.
 *
 * Daylight-saving changes (the rule of RFC 5545 and of Temporal's "compatible" disambiguation):
 *  - a wall-clock time that does not exist (02:30 on a spring-forward night in Europe/Berlin, where
 *    clocks jump from 02:00 to 03:00) runs at the same distance after the jump: 03:30. The digest that
 *    day is late by the size of the gap, never skipped;
 *  - a wall-clock time that happens twice (01:30 on a fall-back night in America/New_York) runs once,
 *    at the first of the two (still on summer time).
 * A cron expression follows the same rule for each of its times, so `*\/15 * * * *` runs at
 * 03:00, 03:15… after a spring-forward gap (the gap's times fold onto them) and does not repeat the
 * doubled hour after a fall-back. Day-of-month and day-of-week combine like Vixie cron: when both are
 * restricted, a day matching either runs.
 */
import { parse as parseCron, validateDetailed } from 'node-cron';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type Schedule =
  | { every: 'daily'; time: string; timezone: string }
  | { every: 'weekly'; weekday: Weekday; time: string; timezone: string }
  | { cron: string; timezone: string };

interface Matcher {
  timezone: string;
  /** [hour, minute] pairs of a matching day, in wall-clock order. */
  times: Array<[number, number]>;
  matchesDay(day: Day): boolean;
}

interface Day {
  y: number;
  m: number;
  d: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Far enough for a cron that only matches on 29 February of a year starting on a given weekday. */
const SEARCH_DAYS = 366 * 9;
export const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The canonical name of an IANA time zone, or undefined when Intl does not know it. */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** The wall-clock time at an instant, as if it were UTC (so Date.UTC arithmetic works on it). */
function wallClockMs(ms: number, timezone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timezone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** UTC offset (ms) in force at an instant. */
function offsetAt(ms: number, timezone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallClockMs(whole, timezone) - whole;
}

/** The instant of a wall-clock time: the earlier one when it happens twice, shifted past a gap. */
export function instantOf(localMs: number, timezone: string): number {
  const before = offsetAt(localMs - DAY, timezone);
  const after = offsetAt(localMs + DAY, timezone);
  const valid = [localMs - before, localMs - after].filter((t) => offsetAt(t, timezone) === localMs - t);
  if (valid.length > 0) return Math.min(...valid);
  return localMs - before;
}

function dayOf(ms: number, timezone: string): Day {
  const wall = new Date(wallClockMs(ms, timezone));
  return { y: wall.getUTCFullYear(), m: wall.getUTCMonth() + 1, d: wall.getUTCDate() };
}

function addDays(day: Day, n: number): Day {
  const t = new Date(Date.UTC(day.y, day.m - 1, day.d + n));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** Every matching instant on one wall-clock day. */
function instantsOn(matcher: Matcher, day: Day): number[] {
  if (!matcher.matchesDay(day)) return [];
  const midnight = Date.UTC(day.y, day.m - 1, day.d);
  const tz = matcher.timezone;
  // Without an offset change around this day every time maps with one offset; else each is resolved.
  const steady = offsetAt(midnight - DAY, tz) === offsetAt(midnight + 2 * DAY, tz) ? offsetAt(midnight, tz) : undefined;
  return matcher.times.map(([h, mi]) => {
    const local = midnight + h * 3_600_000 + mi * MINUTE;
    return steady === undefined ? instantOf(local, tz) : local - steady;
  });
}

function parseTime(time: string): [number, number] {
  const m = TIME_PATTERN.exec(time);
  if (!m) throw new Error(`"${time}" is not a time of day (HH:MM)`);
  return [Number(m[1]), Number(m[2])];
}

/** Why a cron expression cannot be a digest schedule, or null when it can. */
export function checkCron(expr: string): string | null {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return 'must have 5 fields: minute hour day-of-month month day-of-week';
  const detailed = validateDetailed(fields.join(' '));
  if (!detailed.valid) return detailed.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'is not a valid cron expression';
  const parsed = parseCron(fields.join(' '));
  if (parsed.dayOfMonth.some((v) => typeof v === 'string' && v !== 'L')) return 'day-of-month supports numbers, ranges, lists, steps and L only';
  if (parsed.dayOfWeek.some((v) => typeof v === 'string')) return 'day-of-week supports numbers, names, ranges, lists and steps only';
  const matcher = compileSchedule({ cron: expr, timezone: 'UTC' });
  if (nextOccurrence({ cron: expr, timezone: 'UTC' }, new Date(Date.UTC(2000, 0, 1)), matcher) === null) return 'never matches a real date';
  return null;
}

function cronMatcher(expr: string, timezone: string): Matcher {
  const fields = expr.trim().split(/\s+/);
  const parsed = parseCron(fields.join(' '));
  const domAny = /^[*?]/.test(fields[2] ?? '*');
  const dowAny = /^[*?]/.test(fields[4] ?? '*');
  const times = parsed.hour.flatMap((h) => parsed.minute.map((mi): [number, number] => [h, mi]));
  return {
    timezone,
    times,
    matchesDay({ y, m, d }) {
      if (!parsed.month.includes(m)) return false;
      const lastDay = new Date(Date.UTC(y, m, 0)).getUTCDate();
      const domOk = parsed.dayOfMonth.some((v) => v === d || (v === 'L' && d === lastDay));
      const dowOk = parsed.dayOfWeek.some((v) => Number(v) % 7 === new Date(Date.UTC(y, m - 1, d)).getUTCDay());
      return domAny || dowAny ? domOk && dowOk : domOk || dowOk;
    },
  };
}

export function compileSchedule(s: Schedule): Matcher {
  if ('cron' in s) return cronMatcher(s.cron, s.timezone);
  const time = parseTime(s.time);
  const weekday = s.every === 'weekly' ? WEEKDAYS.indexOf(s.weekday) : -1;
  return {
    timezone: s.timezone,
    times: [time],
    matchesDay: ({ y, m, d }) => weekday < 0 || new Date(Date.UTC(y, m - 1, d)).getUTCDay() === weekday,
  };
}

/** The first occurrence strictly after `after`; null when the schedule never runs. */
export function nextOccurrence(s: Schedule, after: Date, matcher = compileSchedule(s)): Date | null {
  const t = after.getTime();
  const first = dayOf(t, s.timezone);
  for (let i = -1; i < SEARCH_DAYS; i++) {
    const found = instantsOn(matcher, addDays(first, i)).filter((x) => x > t);
    if (found.length === 0) continue;
    // A time pushed past a gap near midnight may fall after the next day's first time: look there too.
    const next = instantsOn(matcher, addDays(first, i + 1)).filter((x) => x > t);
    return new Date(Math.min(...found, ...next));
  }
  return null;
}

/** The latest occurrence at or before `atOrBefore`; null when there is none in the search range. */
export function previousOccurrence(s: Schedule, atOrBefore: Date, matcher = compileSchedule(s)): Date | null {
  const t = atOrBefore.getTime();
  const first = dayOf(t, s.timezone);
  for (let i = 1; i > -SEARCH_DAYS; i--) {
    const found = instantsOn(matcher, addDays(first, i)).filter((x) => x <= t);
    if (found.length === 0) continue;
    const earlier = instantsOn(matcher, addDays(first, i - 1)).filter((x) => x <= t);
    return new Date(Math.max(...found, ...earlier));
  }
  return null;
}

/**
 * Where a new subscription starts: its first digest is due at the first occurrence after `from`, and
 * covers one schedule period before it (from the occurrence before that one).
 */
export function firstWindow(s: Schedule, from: Date): { windowStart: Date; dueAt: Date } {
  const matcher = compileSchedule(s);
  const dueAt = nextOccurrence(s, from, matcher);
  if (!dueAt) throw new Error('the schedule never runs');
  const windowStart = previousOccurrence(s, new Date(dueAt.getTime() - 1), matcher) ?? new Date(dueAt.getTime() - DAY);
  return { windowStart, dueAt };
}

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** "every Monday at 08:00 (Europe/Berlin)". */
export function describeSchedule(s: Schedule): string {
  if ('cron' in s) return `cron "${s.cron}" (${s.timezone})`;
  if (s.every === 'daily') return `every day at ${s.time} (${s.timezone})`;
  return `every ${WEEKDAY_NAMES[WEEKDAYS.indexOf(s.weekday)]} at ${s.time} (${s.timezone})`;
}
