/**
 * Feed dates as servers really write them: RFC 822/1123 (named and military zones, numeric offsets,
 * missing seconds, two-digit years, wrong or missing day names), ISO 8601 / RFC 3339, `2020/1/10
 * 14:33:00`, Portuguese/Spanish/French/German month names, unix seconds. Anything without a zone is
 * taken as UTC. Garbage, dates before 1990 and dates more than two days ahead of `now` give null.
 */

const EARLIEST = Date.UTC(1990, 0, 1);
const FUTURE_SLACK_MS = 2 * 24 * 60 * 60 * 1000;

/** Month names and abbreviations (accents removed, lower case) → month number 1-12. */
const MONTHS: Record<string, number> = {};
const MONTH_NAMES: string[][] = [
  ['jan', 'january', 'janeiro', 'ene', 'enero', 'janv', 'janvier', 'januar', 'janner'],
  ['feb', 'february', 'fev', 'fevereiro', 'febrero', 'fevr', 'fevrier', 'februar'],
  ['mar', 'march', 'marco', 'marzo', 'mars', 'marz', 'mrz', 'maerz'],
  ['apr', 'april', 'abr', 'abril', 'avr', 'avril'],
  ['may', 'mai', 'maio', 'mayo'],
  ['jun', 'june', 'junho', 'junio', 'juin', 'juni'],
  ['jul', 'july', 'julho', 'julio', 'juil', 'juillet', 'juli'],
  ['aug', 'august', 'ago', 'agosto', 'aout'],
  ['sep', 'sept', 'september', 'set', 'setembro', 'septiembre', 'setiembre', 'septembre'],
  ['oct', 'october', 'out', 'outubro', 'octubre', 'octobre', 'okt', 'oktober'],
  ['nov', 'november', 'novembro', 'noviembre', 'novembre'],
  ['dec', 'december', 'dez', 'dezembro', 'dic', 'diciembre', 'decembre', 'dezember'],
];
MONTH_NAMES.forEach((names, index) => names.forEach((name) => (MONTHS[name] = index + 1)));

/** Zone abbreviations → minutes east of UTC. */
const ZONES: Record<string, number> = {
  z: 0, ut: 0, utc: 0, gmt: 0, wet: 0, west: 60, bst: 60, cet: 60, met: 60, cest: 120, mest: 120,
  eet: 120, eest: 180, msk: 180, ist: 330, hkt: 480, jst: 540, kst: 540, acst: 570, aest: 600,
  aedt: 660, nzst: 720, nzdt: 780, ast: -240, adt: -180, est: -300, edt: -240, cst: -360,
  cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420, akst: -540, akdt: -480, hst: -600,
};

/** RFC 822 military zones, with the signs the RFC gives (A = -1h … M = -12h, N = +1h … Y = +12h). */
function militaryOffset(letter: string): number | null {
  const code = letter.toLowerCase().charCodeAt(0);
  const a = 'a'.charCodeAt(0);
  if (letter.length !== 1 || letter.toLowerCase() === 'j') return null;
  if (letter.toLowerCase() === 'z') return 0;
  if (code >= a && code <= 'i'.charCodeAt(0)) return -(code - a + 1) * 60;
  if (code >= 'k'.charCodeAt(0) && code <= 'm'.charCodeAt(0)) return -(code - a) * 60;
  if (code >= 'n'.charCodeAt(0) && code <= 'y'.charCodeAt(0)) return (code - 'n'.charCodeAt(0) + 1) * 60;
  return null;
}

/** Offset in minutes east of UTC for a zone token; undefined (no zone) means UTC, null means not a zone. */
function zoneOffset(zone: string | undefined): number | null {
  if (zone === undefined || zone === '') return 0;
  const numeric = /^(?:gmt|utc|ut)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(zone);
  if (numeric) {
    const minutes = Number(numeric[2]) * 60 + Number(numeric[3] ?? 0);
    return numeric[1] === '-' ? -minutes : minutes;
  }
  const key = zone.toLowerCase();
  if (key in ZONES) return ZONES[key] ?? 0;
  return militaryOffset(zone);
}

interface Parts {
  year: number; month: number; day: number; hour?: number; minute?: number; second?: number;
  millis?: number; zone?: string; meridiem?: string;
}

function twoDigitYear(year: string): number {
  const n = Number(year);
  if (year.length > 2) return n;
  return n < 50 ? 2000 + n : 1900 + n;
}

function buildDate(p: Parts): Date | null {
  let hour = p.hour ?? 0;
  if (p.meridiem) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (p.meridiem.toLowerCase() === 'pm' ? 12 : 0);
  }
  const minute = p.minute ?? 0;
  const second = p.second ?? 0;
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const offset = zoneOffset(p.zone);
  if (offset === null) return null;
  const ms = Date.UTC(p.year, p.month - 1, p.day, hour, minute, Math.min(second, 59), p.millis ?? 0);
  const check = new Date(Date.UTC(p.year, p.month - 1, p.day));
  if (check.getUTCDate() !== p.day) return null; // 31 April, 30 February …
  return new Date(ms - offset * 60_000);
}

function fraction(digits: string | undefined): number {
  return digits ? Math.round(Number(`0.${digits}`) * 1000) : 0;
}

const TIME = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([ap]m)?`;
const ZONE = String.raw`(?:\s*(z|[+-]\d{1,2}(?::?\d{2})?|(?:gmt|utc|ut)\s*[+-]\d{1,2}(?::?\d{2})?|[a-z]{1,5}))?`;
const ISO_RE = new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:t|\s+)${TIME}${ZONE})?$`, 'i');
const SLASH_RE = new RegExp(String.raw`^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:(?:t|\s+)${TIME}${ZONE})?$`, 'i');
const RFC_RE = new RegExp(String.raw`^(\d{1,2})\.?[\s-]+(\p{L}+)\.?[\s-]+(\d{2,4})(?:[\s,]+${TIME}${ZONE})?$`, 'iu');
const US_RE = new RegExp(String.raw`^(\p{L}+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?:[\s,]+(?:at\s+)?${TIME}${ZONE})?$`, 'iu');
const ASCTIME_RE = new RegExp(String.raw`^(\p{L}+)\.?\s+(\d{1,2})\s+${TIME}${ZONE}\s+(\d{4})$`, 'iu');

function monthNumber(name: string): number | undefined {
  const key = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\.$/, '');
  return MONTHS[key];
}

function timeParts(m: RegExpExecArray, at: number): Omit<Parts, 'year' | 'month' | 'day'> {
  if (m[at] === undefined) return {};
  return {
    hour: Number(m[at]), minute: Number(m[at + 1]), second: Number(m[at + 2] ?? 0),
    millis: fraction(m[at + 3]), meridiem: m[at + 4], zone: m[at + 5],
  };
}

function parseNumericDate(s: string): Date | null {
  const m = ISO_RE.exec(s) ?? SLASH_RE.exec(s);
  if (!m) return null;
  return buildDate({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), ...timeParts(m, 4) });
}

/** Removes a leading day name in any language ("Wed,", "Qua,", "Mié.", "Donnerstag,"). */
function stripDayName(s: string): string {
  return s.replace(/^[^\d\s,.]+\.?,?\s+(?=\d|[^\d\s,]+\.?\s+\d)/u, '');
}

function parseNamedMonth(s: string): Date | null {
  let m = RFC_RE.exec(s);
  if (m) {
    const month = monthNumber(m[2] ?? '');
    return month ? buildDate({ year: twoDigitYear(m[3] ?? ''), month, day: Number(m[1]), ...timeParts(m, 4) }) : null;
  }
  m = US_RE.exec(s);
  if (m) {
    const month = monthNumber(m[1] ?? '');
    return month ? buildDate({ year: Number(m[3]), month, day: Number(m[2]), ...timeParts(m, 4) }) : null;
  }
  m = ASCTIME_RE.exec(s);
  if (m) {
    const month = monthNumber(m[1] ?? '');
    return month ? buildDate({ year: Number(m[9]), month, day: Number(m[2]), ...timeParts(m, 3) }) : null;
  }
  return null;
}

/** "Jun 10, 2020" starts with a month, "Wed, 10 Jun 2020" with a day name: try both readings. */
function parseNamedMonthDate(s: string): Date | null {
  return parseNamedMonth(s) ?? parseNamedMonth(stripDayName(s));
}

function parseUnixSeconds(s: string): Date | null {
  if (!/^\d{9,10}$/.test(s)) return null;
  return new Date(Number(s) * 1000);
}

/**
 * Parses a date found in a feed. `now` bounds the future: anything more than two days after it is
 * treated as wrong (null), as is anything before 1990.
 */
export function parseFeedDate(raw: string | null | undefined, now: Date = new Date()): Date | null {
  if (typeof raw !== 'string') return null;
  const s = raw.replace(/\([^)]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  if (s === '' || s.length > 100) return null;
  const date = parseUnixSeconds(s) ?? parseNumericDate(s) ?? parseNamedMonthDate(s);
  if (!date || Number.isNaN(date.getTime())) return null;
  const time = date.getTime();
  if (time < EARLIEST || time > now.getTime() + FUTURE_SLACK_MS) return null;
  return date;
}
