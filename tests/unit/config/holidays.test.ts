import { buildHolidaySet, buildOmbudsmanCalendar, calendarYears } from '../../../src/config/holidays';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_CONFIG_DIR } from '../../../src/config/load';
import { RulesSchema, type Rules } from '../../../src/config/schema';
import { buildBusinessCalendar, computeDeadline, isBusinessDay } from '../../../src/core/business-days';

/** The 13 national holidays of Código do Trabalho art. 234, per year. */
const PT_2026 = [
  '2026-01-01', '2026-04-03', '2026-04-05', '2026-04-25', '2026-05-01', '2026-06-04', '2026-06-10',
  '2026-08-15', '2026-10-05', '2026-11-01', '2026-12-01', '2026-12-08', '2026-12-25',
];
const PT_2027 = [
  '2027-01-01', '2027-03-26', '2027-03-28', '2027-04-25', '2027-05-01', '2027-05-27', '2027-06-10',
  '2027-08-15', '2027-10-05', '2027-11-01', '2027-12-01', '2027-12-08', '2027-12-25',
];

const pt = { holidaysCountry: 'PT', extraHolidays: [] as string[] };

describe('buildHolidaySet', () => {
  it('when built for PT 2026-2027, then it holds exactly the national holidays', () => {
    const days = buildHolidaySet(pt, { from: 2026, to: 2027 });
    expect([...days].sort()).toEqual([...PT_2026, ...PT_2027]);
  });

  it.each([
    ['2026-04-03', 'Good Friday 2026'],
    ['2027-03-26', 'Good Friday 2027'],
    ['2026-04-05', 'Easter Sunday 2026'],
    ['2027-03-28', 'Easter Sunday 2027'],
    ['2026-06-04', 'Corpus Christi 2026'],
    ['2027-05-27', 'Corpus Christi 2027'],
  ])('when the day is the movable feast %s (%s), then it is a holiday', (day) => {
    expect(buildHolidaySet(pt, { from: 2026, to: 2027 }).has(day)).toBe(true);
  });

  it.each([
    ['2026-02-17', 'Carnival 2026'],
    ['2027-02-09', 'Carnival 2027'],
    ['2026-12-24', 'Christmas Eve'],
    ['2026-12-31', "New Year's Eve"],
    ['2026-05-03', "Mother's Day"],
    ['2026-06-13', 'Santo António (Lisbon municipal holiday)'],
  ])('when the day is %s (%s), which the library lists as observance or not at all, then it is no holiday', (day) => {
    expect(buildHolidaySet(pt, { from: 2026, to: 2027 }).has(day)).toBe(false);
  });

  it('when extra holidays are configured, then they are added', () => {
    const days = buildHolidaySet({ holidaysCountry: 'PT', extraHolidays: ['2026-06-13', '2026-12-24'] }, { from: 2026, to: 2026 });
    expect(days.has('2026-06-13')).toBe(true);
    expect(days.has('2026-12-24')).toBe(true);
    expect(days.size).toBe(PT_2026.length + 2);
  });

  it('when the country is given in lower case, then it is accepted', () => {
    expect(buildHolidaySet({ holidaysCountry: 'pt', extraHolidays: [] }, { from: 2026, to: 2026 }).size).toBe(13);
  });

  it.each(['ZZ', 'PT-XX'])('when the country or subdivision %s is unknown, then it throws RangeError', (code) => {
    expect(() => buildHolidaySet({ holidaysCountry: code, extraHolidays: [] }, { from: 2026, to: 2026 })).toThrow(
      RangeError,
    );
  });
});

/** The shipped `ombudsman` section alone, validated by its own schema (the rest of the rules is not under test here). */
function shippedOmbudsmanRules(): Rules['ombudsman'] {
  for (const file of readdirSync(DEFAULT_CONFIG_DIR).filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'))) {
    const doc = parseYaml(readFileSync(join(DEFAULT_CONFIG_DIR, file), 'utf8')) as Record<string, unknown> | null;
    if (doc && 'ombudsman' in doc) return RulesSchema.shape.ombudsman.parse(doc.ombudsman);
  }
  throw new Error('no ombudsman section in the shipped config');
}

describe('buildOmbudsmanCalendar', () => {
  const rules = { ombudsman: shippedOmbudsmanRules() };

  it('when built from the shipped rules, then it uses their office hours, zone and PT holidays', () => {
    const calendar = buildOmbudsmanCalendar(rules.ombudsman, { from: 2026, to: 2027 });
    expect(calendar.timezone).toBe('Europe/Lisbon');
    expect(calendar.officeHours).toEqual([
      { start: 8 * 60, end: 12 * 60 },
      { start: 13 * 60, end: 17 * 60 + 30 },
    ]);
    expect(calendar.years).toEqual({ from: 2026, to: 2027 });
    expect(isBusinessDay('2026-04-03', calendar)).toBe(false);
    expect(isBusinessDay('2026-02-17', calendar)).toBe(true);
  });

  it('when the shipped 7-day deadline crosses Good Friday and the DST change, then it is 17:30 Lisbon time', () => {
    const calendar = buildOmbudsmanCalendar(rules.ombudsman, { from: 2026, to: 2027 });
    const deadline = computeDeadline(new Date('2026-03-26T10:00:00Z'), rules.ombudsman.deadlineBusinessDays, calendar);
    expect(deadline.toISOString()).toBe('2026-04-06T16:30:00.000Z');
  });
});

describe('buildOmbudsmanCalendar against the hand-written list', () => {
  it('when deadlines are computed with the library holidays and with the Código do Trabalho list, then they agree for every arrival of 2026-2027', () => {
    const rules = shippedOmbudsmanRules();
    const fromLibrary = buildOmbudsmanCalendar(rules, { from: 2026, to: 2028 });
    const byHand = buildBusinessCalendar({ timezone: rules.timezone, officeHours: rules.officeHours, holidays: [...PT_2026, ...PT_2027, ...buildHolidaySet(pt, { from: 2028, to: 2028 })], years: { from: 2026, to: 2028 } });
    // Before opening, in the lunch gap and after closing (UTC; Lisbon is UTC+0/+1), every day.
    for (let day = Date.UTC(2026, 0, 1); day < Date.UTC(2028, 0, 1); day += 86_400_000) {
      for (const hour of [6.5, 11.5, 18]) {
        const received = new Date(day + hour * 3_600_000);
        for (const days of [rules.deadlineBusinessDays, rules.complexDeadlineBusinessDays]) {
          expect([received.toISOString(), days, computeDeadline(received, days, fromLibrary).toISOString()]).toEqual([
            received.toISOString(),
            days,
            computeDeadline(received, days, byHand).toISOString(),
          ]);
        }
      }
    }
  });
});

describe('calendarYears', () => {
  it.each([
    ['2026-06-15T12:00:00Z', 'Europe/Lisbon', { from: 2025, to: 2028 }],
    ['2026-12-31T23:30:00Z', 'Europe/Lisbon', { from: 2025, to: 2028 }],
    // 23:30 UTC on 31 December is already 1 January in a zone east of UTC
    ['2026-12-31T23:30:00Z', 'Europe/Madrid', { from: 2026, to: 2029 }],
  ])('when it is %s in %s, then the calendar covers %o', (now, zone, expected) => {
    expect(calendarYears(new Date(now), zone)).toEqual(expected);
  });
});
