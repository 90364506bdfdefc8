import Holidays from 'date-holidays';
import { buildBusinessCalendar, toLocalDate, type BusinessCalendar, type IsoDate } from '../core/business-days';
import type { Rules } from './schema';

type OmbudsmanRules = Rules['ombudsman'];

/** A range of years, both ends included. */
export interface YearRange {
  from: number;
  to: number;
}

/**
 * The closed days of `rules.ombudsman` for the given years: the public holidays of
 * `holidaysCountry` (`PT`, or `CC-STATE[-REGION]` where the library knows subdivisions) as
 * date-holidays lists them, plus `extraHolidays`. Only type `public` counts: for PT these are the
 * 13 national holidays, Good Friday, Easter Sunday and Corpus Christi included; Carnival, Christmas
 * Eve and New Year's Eve are `observance` (not holidays by law) and stay working days.
 * Throws RangeError when the country or subdivision is unknown to the library.
 */
export function buildHolidaySet(ombudsman: Pick<OmbudsmanRules, 'holidaysCountry' | 'extraHolidays'>, years: YearRange): Set<IsoDate> {
  const holidays = holidaysFor(ombudsman.holidaysCountry);
  const days = new Set<IsoDate>();
  for (let year = years.from; year <= years.to; year++) {
    for (const holiday of holidays.getHolidays(year)) {
      if (holiday.type !== 'public') continue;
      // `date` is local to the country ("2026-04-03 00:00:00"); a holiday may span several days.
      const first = holiday.date.slice(0, 10);
      const span = Math.max(1, Math.round((holiday.end.getTime() - holiday.start.getTime()) / 86_400_000));
      for (let i = 0; i < span; i++) days.add(addDays(first, i));
    }
  }
  for (const extra of ombudsman.extraHolidays) days.add(extra);
  return days;
}

/**
 * The plain-data calendar the core computes deadlines with (policy §4: Monday to Friday, minus
 * the configured public holidays, office hours in local time), for the given years. Throws
 * RangeError on an unknown country, time zone or malformed office hours.
 */
export function buildOmbudsmanCalendar(ombudsman: OmbudsmanRules, years: YearRange): BusinessCalendar {
  return buildBusinessCalendar({
    timezone: ombudsman.timezone,
    officeHours: ombudsman.officeHours,
    holidays: buildHolidaySet(ombudsman, years),
    years,
  });
}

/**
 * Years a calendar built at `now` should cover: the previous local year (cases received late in
 * December) up to `ahead` years on; a 30-business-day deadline needs only the next year. A
 * long-running process rebuilds its calendar when the local year changes.
 */
export function calendarYears(now: Date, timezone: string, ahead = 2): YearRange {
  const year = Number(toLocalDate(now, timezone).slice(0, 4));
  return { from: year - 1, to: year + ahead };
}

function holidaysFor(code: string): Holidays {
  const [country = '', state, region] = code.toUpperCase().split('-');
  const registry = new Holidays();
  if (!(country in registry.getCountries())) {
    throw new RangeError(`holidays: unknown country "${code}"`);
  }
  if (state !== undefined && !(state in (registry.getStates(country) ?? {}))) {
    throw new RangeError(`holidays: unknown subdivision "${code}"`);
  }
  if (state !== undefined && region !== undefined && !(region in (registry.getRegions(country, state) ?? {}))) {
    throw new RangeError(`holidays: unknown region "${code}"`);
  }
  if (state === undefined) return new Holidays(country);
  if (region === undefined) return new Holidays(country, state);
  return new Holidays(country, state, region);
}

function addDays(iso: IsoDate, days: number): IsoDate {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
