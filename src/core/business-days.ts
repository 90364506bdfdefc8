/**
 * Business-day arithmetic for the ombudsman's deadlines (policy §4): Monday to Friday minus the
 * configured public holidays, office hours in local time (Europe/Lisbon by default).
 *
 * Pure: no clock, no I/O. Time zones are handled with `Intl` only, so the wall-clock hours stay
 * right across the DST changes (last Sunday of March and of October).
 *
 * Semantics, used throughout:
 * - The clock starts at `countingStart(receivedAt)`: the arrival itself when it is within office
 *   hours; otherwise the next office opening. Before the morning opening or during the lunch gap
 *   of a business day that is the same day's next opening; after closing, on a weekend or on a
 *   holiday it is the opening of the next business day.
 * - The day the clock starts on is business day 1. A deadline of N business days is the end of
 *   office hours (the last period's closing time) of business day N. A message received on Monday
 *   10:00 with N = 7 is due on Tuesday of the following week at 17:30.
 * - A deadline is met by an answer at or before the deadline instant; `isOverdue` is `now > deadline`.
 */

/** A local calendar date in the calendar's time zone, `YYYY-MM-DD`. */
export type IsoDate = string;

/** One office period of a business day, in minutes after local midnight: [start, end). */
export interface OfficePeriod {
  readonly start: number;
  readonly end: number;
}

/**
 * Everything the arithmetic needs, as plain data. Built once from the rules by the config layer
 * (holidays come from a library there) so that the core never touches the library.
 */
export interface BusinessCalendar {
  /** IANA time zone of the office, e.g. `Europe/Lisbon`. */
  readonly timezone: string;
  /** Office periods of every business day, sorted and disjoint. */
  readonly officeHours: readonly OfficePeriod[];
  /** Closed days (public holidays and extra closures), local dates. */
  readonly holidays: ReadonlySet<IsoDate>;
  /**
   * Years the holiday set was built for (inclusive). Arithmetic that reaches a day outside them
   * throws, rather than silently treating a holiday as a working day.
   */
  readonly years: { readonly from: number; readonly to: number };
}

export interface BusinessCalendarInput {
  timezone: string;
  /** `"HH:MM-HH:MM"`, as in `rules.ombudsman.officeHours`. */
  officeHours: readonly string[];
  holidays: Iterable<IsoDate>;
  years: { from: number; to: number };
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const OFFICE_PERIOD = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

/**
 * Validates and normalises the calendar data. Throws RangeError on an unknown time zone,
 * malformed, empty, overlapping or unordered office hours, malformed holiday dates or years.
 */
export function buildBusinessCalendar(input: BusinessCalendarInput): BusinessCalendar {
  formatterFor(input.timezone); // throws RangeError on an unknown zone
  const officeHours = input.officeHours.map(parseOfficePeriod);
  if (officeHours.length === 0) throw new RangeError('office hours: at least one period is required');
  for (let i = 1; i < officeHours.length; i++) {
    const previous = officeHours[i - 1] as OfficePeriod;
    const current = officeHours[i] as OfficePeriod;
    if (current.start < previous.end) {
      throw new RangeError(`office hours: "${input.officeHours[i]}" overlaps or precedes the period before it`);
    }
  }
  const holidays = new Set<IsoDate>();
  for (const day of input.holidays) {
    parseIsoDate(day);
    holidays.add(day);
  }
  const { from, to } = input.years;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from > to) {
    throw new RangeError(`calendar years: invalid range ${from}..${to}`);
  }
  return {
    timezone: input.timezone,
    officeHours: Object.freeze(officeHours.map((p) => Object.freeze(p))),
    holidays,
    years: Object.freeze({ from, to }),
  };
}

/** The local date of an instant in a time zone. */
export function toLocalDate(at: Date, timezone: string): IsoDate {
  const p = localParts(checkDate(at), timezone);
  return isoOf(p.year, p.month, p.day);
}

/** Whether a day (an instant's local date, or a local ISO date) is a business day. */
export function isBusinessDay(day: Date | IsoDate, calendar: BusinessCalendar): boolean {
  const iso = typeof day === 'string' ? day : toLocalDate(day, calendar.timezone);
  assertCovered(iso, calendar);
  const weekday = weekdayOf(iso);
  return weekday !== 0 && weekday !== 6 && !calendar.holidays.has(iso);
}

/** Whether an instant falls within office hours of a business day (closing time excluded). */
export function isWithinOfficeHours(at: Date, calendar: BusinessCalendar): boolean {
  const { iso, minutes } = localPosition(checkDate(at), calendar.timezone);
  if (!isBusinessDay(iso, calendar)) return false;
  return calendar.officeHours.some((p) => minutes >= p.start && minutes < p.end);
}

/** The opening instant of the first business day strictly after the local date of `at`. */
export function nextBusinessDayStart(at: Date, calendar: BusinessCalendar): Date {
  const iso = nextBusinessDate(toLocalDate(checkDate(at), calendar.timezone), calendar);
  return toInstant(iso, firstPeriod(calendar).start, calendar.timezone);
}

/**
 * When the clock starts for a message received at `receivedAt`: the arrival itself within office
 * hours, else the next office opening (later the same business day before the opening or in the
 * lunch gap; the next business day's opening after closing, on weekends and holidays).
 */
export function countingStart(receivedAt: Date, calendar: BusinessCalendar): Date {
  const { iso, minutes } = localPosition(checkDate(receivedAt), calendar.timezone);
  if (isBusinessDay(iso, calendar)) {
    for (const period of calendar.officeHours) {
      if (minutes < period.end) {
        return minutes >= period.start ? receivedAt : toInstant(iso, period.start, calendar.timezone);
      }
    }
  }
  return nextBusinessDayStart(receivedAt, calendar);
}

/**
 * The deadline of `businessDays` business days for a message received at `receivedAt`: the end of
 * office hours of business day N, where the day the clock starts on (`countingStart`) is day 1.
 */
export function computeDeadline(receivedAt: Date, businessDays: number, calendar: BusinessCalendar): Date {
  if (!Number.isInteger(businessDays) || businessDays < 1) {
    throw new RangeError(`business days: expected a positive integer, got ${businessDays}`);
  }
  let day = toLocalDate(countingStart(receivedAt, calendar), calendar.timezone);
  for (let n = 1; n < businessDays; n++) day = nextBusinessDate(day, calendar);
  return toInstant(day, lastPeriod(calendar).end, calendar.timezone);
}

/**
 * Business days the calendar turns over from `from` to `to`: business days d with
 * localDate(from) < d <= localDate(to); negative when `to` is earlier. Friday → Monday is 1, the
 * same day is 0, and `businessDaysBetween(countingStart(r), computeDeadline(r, n))` is n - 1.
 */
export function businessDaysBetween(from: Date, to: Date, calendar: BusinessCalendar): number {
  const a = toLocalDate(checkDate(from), calendar.timezone);
  const b = localDateOfDeadline(checkDate(to), calendar);
  if (a === b) return 0;
  const [start, end, sign] = a < b ? [a, b, 1] : [b, a, -1];
  let count = 0;
  for (let day = addDays(start, 1); day <= end; day = addDays(day, 1)) {
    if (isBusinessDay(day, calendar)) count++;
  }
  return sign * count;
}

/** Whether the deadline has passed: an answer at the deadline instant itself is on time. */
export function isOverdue(deadline: Date, now: Date): boolean {
  return checkDate(now).getTime() > checkDate(deadline).getTime();
}

/**
 * When the deadline reminder becomes due: the opening of the business day `daysBefore` business
 * days before the deadline's day (0: the opening of the deadline's own day).
 */
export function reminderAt(deadline: Date, daysBefore: number, calendar: BusinessCalendar): Date {
  if (!Number.isInteger(daysBefore) || daysBefore < 0) {
    throw new RangeError(`reminder: expected a non-negative integer, got ${daysBefore}`);
  }
  let day = localDateOfDeadline(checkDate(deadline), calendar);
  for (let n = 0; n < daysBefore; n++) day = previousBusinessDate(day, calendar);
  return toInstant(day, firstPeriod(calendar).start, calendar.timezone);
}

/**
 * Whether a deadline reminder is due at `now`: from `reminderAt(deadline, daysBefore)` until the
 * deadline itself (after it the case is overdue, which `isOverdue` reports).
 */
export function reminderDue(deadline: Date, now: Date, daysBefore: number, calendar: BusinessCalendar): boolean {
  if (isOverdue(deadline, now)) return false;
  return now.getTime() >= reminderAt(deadline, daysBefore, calendar).getTime();
}

// ---------------------------------------------------------------------------------------------
// Calendar steps on local dates

function nextBusinessDate(iso: IsoDate, calendar: BusinessCalendar): IsoDate {
  let day = addDays(iso, 1);
  while (!isBusinessDay(day, calendar)) day = addDays(day, 1);
  return day;
}

function previousBusinessDate(iso: IsoDate, calendar: BusinessCalendar): IsoDate {
  let day = addDays(iso, -1);
  while (!isBusinessDay(day, calendar)) day = addDays(day, -1);
  return day;
}

/** A deadline at 24:00 is the end of the previous day, not the start of the next one. */
function localDateOfDeadline(at: Date, calendar: BusinessCalendar): IsoDate {
  const { iso, minutes } = localPosition(at, calendar.timezone);
  return minutes === 0 && lastPeriod(calendar).end === 24 * 60 ? addDays(iso, -1) : iso;
}

function assertCovered(iso: IsoDate, calendar: BusinessCalendar): void {
  const year = parseIsoDate(iso).year;
  if (year < calendar.years.from || year > calendar.years.to) {
    throw new RangeError(
      `business calendar covers ${calendar.years.from}..${calendar.years.to}, not ${iso}: build it for more years`,
    );
  }
}

function firstPeriod(calendar: BusinessCalendar): OfficePeriod {
  return calendar.officeHours[0] as OfficePeriod;
}

function lastPeriod(calendar: BusinessCalendar): OfficePeriod {
  return calendar.officeHours[calendar.officeHours.length - 1] as OfficePeriod;
}

function addDays(iso: IsoDate, days: number): IsoDate {
  const { year, month, day } = parseIsoDate(iso);
  const d = new Date(Date.UTC(year, month - 1, day) + days * DAY_MS);
  return isoOf(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** 0 = Sunday … 6 = Saturday; a calendar date's weekday does not depend on the zone. */
function weekdayOf(iso: IsoDate): number {
  const { year, month, day } = parseIsoDate(iso);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

function parseIsoDate(iso: string): { year: number; month: number; day: number } {
  const m = ISO_DATE.exec(iso);
  if (m) {
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    const d = new Date(Date.UTC(year, month - 1, day));
    if (d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day) {
      return { year, month, day };
    }
  }
  throw new RangeError(`not an ISO date (YYYY-MM-DD): "${iso}"`);
}

function parseOfficePeriod(text: string): OfficePeriod {
  const m = OFFICE_PERIOD.exec(text);
  if (m) {
    const start = Number(m[1]) * 60 + Number(m[2]);
    const end = Number(m[3]) * 60 + Number(m[4]);
    const valid = Number(m[2]) < 60 && Number(m[4]) < 60 && end <= 24 * 60 && start < end;
    if (valid) return { start, end };
  }
  throw new RangeError(`office hours: "${text}" is not a period "HH:MM-HH:MM" with start before end`);
}

function isoOf(year: number, month: number, day: number): IsoDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function checkDate(at: Date): Date {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new RangeError('not a valid Date');
  return at;
}

// ---------------------------------------------------------------------------------------------
// Time zones through Intl

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

function localParts(at: Date, timezone: string): LocalParts {
  const out: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(at)) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return {
    year: out.year ?? NaN,
    month: out.month ?? NaN,
    day: out.day ?? NaN,
    hour: out.hour ?? NaN,
    minute: out.minute ?? NaN,
    second: out.second ?? NaN,
  };
}

/** Local date and minutes after local midnight (fractional, wall clock). */
function localPosition(at: Date, timezone: string): { iso: IsoDate; minutes: number } {
  const p = localParts(at, timezone);
  const ms = ((at.getTime() % 1000) + 1000) % 1000;
  return {
    iso: isoOf(p.year, p.month, p.day),
    minutes: p.hour * 60 + p.minute + (p.second * 1000 + ms) / MINUTE_MS,
  };
}

/** Offset of the zone from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(epochMs: number, timezone: string): number {
  const whole = epochMs - (((epochMs % 1000) + 1000) % 1000);
  const p = localParts(new Date(whole), timezone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}

/**
 * The instant of a local wall-clock time. A time skipped by a DST change (the gap in spring) is
 * moved forward by the gap; a repeated time (autumn) resolves to one of its two instants. Office
 * hours never fall in either in Europe/Lisbon, where the changes happen at 01:00 UTC.
 */
function toInstant(iso: IsoDate, minutes: number, timezone: string): Date {
  const { year, month, day } = parseIsoDate(iso);
  const wall = Date.UTC(year, month - 1, day) + minutes * MINUTE_MS;
  const o1 = offsetAt(wall, timezone);
  const guess = wall - o1;
  const o2 = offsetAt(guess, timezone);
  if (o1 === o2) return new Date(guess);
  const guess2 = wall - o2;
  const o3 = offsetAt(guess2, timezone);
  if (o2 === o3) return new Date(guess2);
  return new Date(wall - Math.min(o2, o3));
}
