import {
  buildBusinessCalendar,
  businessDaysBetween,
  computeDeadline,
  countingStart,
  isBusinessDay,
  isOverdue,
  isWithinOfficeHours,
  nextBusinessDayStart,
  reminderAt,
  reminderDue,
  toLocalDate,
  type BusinessCalendar,
} from '../../../src/core/business-days';

/**
 * Portuguese national holidays 2026-2027 (Código do Trabalho art. 234), written out by hand so the
 * core is tested without the holiday library. Lisbon is UTC+0 in winter (WET) and UTC+1 in summer
 * (WEST, from the last Sunday of March to the last Sunday of October): expected instants below are
 * written in UTC with that offset applied by hand.
 */
const PT_HOLIDAYS = [
  '2026-01-01', '2026-04-03', '2026-04-05', '2026-04-25', '2026-05-01', '2026-06-04', '2026-06-10',
  '2026-08-15', '2026-10-05', '2026-11-01', '2026-12-01', '2026-12-08', '2026-12-25',
  '2027-01-01', '2027-03-26', '2027-03-28', '2027-04-25', '2027-05-01', '2027-05-27', '2027-06-10',
  '2027-08-15', '2027-10-05', '2027-11-01', '2027-12-01', '2027-12-08', '2027-12-25',
];

const calendar: BusinessCalendar = buildBusinessCalendar({
  timezone: 'Europe/Lisbon',
  officeHours: ['08:00-12:00', '13:00-17:30'],
  holidays: PT_HOLIDAYS,
  years: { from: 2026, to: 2027 },
});

const at = (iso: string): Date => new Date(iso);

describe('buildBusinessCalendar', () => {
  it('when the input is valid, then office hours are parsed into minutes', () => {
    expect(calendar.officeHours).toEqual([
      { start: 480, end: 720 },
      { start: 780, end: 1050 },
    ]);
    expect(calendar.holidays.has('2026-04-03')).toBe(true);
  });

  it.each([
    ['an unknown time zone', { timezone: 'Europe/Atlantis' }],
    ['no office hours', { officeHours: [] }],
    ['a period ending before it starts', { officeHours: ['12:00-08:00'] }],
    ['overlapping periods', { officeHours: ['08:00-12:00', '11:00-17:00'] }],
    ['unordered periods', { officeHours: ['13:00-17:30', '08:00-12:00'] }],
    ['a malformed period', { officeHours: ['8h-12h'] }],
    ['minutes out of range', { officeHours: ['08:75-12:00'] }],
    ['a malformed holiday', { holidays: ['2026-02-30'] }],
    ['an inverted year range', { years: { from: 2027, to: 2026 } }],
  ])('when given %s, then it throws RangeError', (_label, override) => {
    const input = {
      timezone: 'Europe/Lisbon',
      officeHours: ['08:00-12:00', '13:00-17:30'],
      holidays: [] as string[],
      years: { from: 2026, to: 2027 },
      ...override,
    };
    expect(() => buildBusinessCalendar(input)).toThrow(RangeError);
  });
});

describe('toLocalDate', () => {
  it.each([
    ['2026-03-29T00:30:00Z', '2026-03-29'], // before the spring change, WET
    ['2026-03-29T23:30:00Z', '2026-03-30'], // after it, WEST: already Monday in Lisbon
    ['2026-10-25T23:30:00Z', '2026-10-25'], // after the autumn change, WET again
    ['2026-12-31T23:59:59Z', '2026-12-31'],
  ])('when the instant is %s, then the Lisbon date is %s', (instant, expected) => {
    expect(toLocalDate(at(instant), 'Europe/Lisbon')).toBe(expected);
  });
});

describe('isBusinessDay', () => {
  it.each([
    ['2026-04-02', true, 'Thursday before Easter'],
    ['2026-04-03', false, 'Good Friday 2026'],
    ['2026-04-05', false, 'Easter Sunday 2026'],
    ['2026-04-06', true, 'Easter Monday is no national holiday'],
    ['2026-02-17', true, 'Carnival is no national holiday'],
    ['2026-06-04', false, 'Corpus Christi 2026'],
    ['2026-06-10', false, 'Dia de Portugal'],
    ['2026-10-05', false, 'Implantação da República (Monday)'],
    ['2026-12-24', true, 'Christmas Eve is a working day'],
    ['2026-12-25', false, 'Christmas'],
    ['2026-03-28', false, 'Saturday'],
    ['2026-03-29', false, 'Sunday of the spring DST change'],
    ['2027-03-26', false, 'Good Friday 2027'],
    ['2027-05-27', false, 'Corpus Christi 2027'],
    ['2027-11-01', false, 'All Saints (Monday)'],
    ['2027-11-02', true, 'Tuesday after All Saints'],
  ])('when the day is %s, then it is %s (%s)', (day, expected) => {
    expect(isBusinessDay(day, calendar)).toBe(expected);
  });

  it.each([
    ['2026-03-29T23:30:00Z', true], // Monday 00:30 WEST, still Sunday in UTC
    ['2026-10-25T23:30:00Z', false], // Sunday 23:30 WET
    ['2026-04-02T23:30:00Z', false], // Good Friday 00:30 WEST
  ])('when the instant is %s, then the local day decides (%s)', (instant, expected) => {
    expect(isBusinessDay(at(instant), calendar)).toBe(expected);
  });

  it('when the day is outside the calendar years, then it throws instead of guessing', () => {
    expect(() => isBusinessDay('2028-01-03', calendar)).toThrow(/covers 2026..2027/);
  });
});

describe('isWithinOfficeHours', () => {
  it.each([
    ['2026-03-02T07:59:59Z', false], // Monday, winter: before opening
    ['2026-03-02T08:00:00Z', true],
    ['2026-03-02T11:59:00Z', true],
    ['2026-03-02T12:00:00Z', false], // lunch gap
    ['2026-03-02T13:00:00Z', true],
    ['2026-03-02T17:29:59Z', true],
    ['2026-03-02T17:30:00Z', false], // closing time is after hours
    ['2026-03-30T07:00:00Z', true], // Monday after the spring change: 08:00 WEST
    ['2026-03-30T16:45:00Z', false], // 17:45 WEST
    ['2026-10-26T16:45:00Z', true], // Monday after the autumn change: 16:45 WET
    ['2026-04-03T10:00:00Z', false], // Good Friday
  ])('when the instant is %s, then it is %s', (instant, expected) => {
    expect(isWithinOfficeHours(at(instant), calendar)).toBe(expected);
  });
});

describe('countingStart', () => {
  it.each([
    ['within office hours', '2026-03-02T10:15:00Z', '2026-03-02T10:15:00.000Z'],
    ['before opening', '2026-03-02T06:30:00Z', '2026-03-02T08:00:00.000Z'],
    ['in the lunch gap', '2026-03-02T12:30:00Z', '2026-03-02T13:00:00.000Z'],
    ['at closing time', '2026-03-02T17:30:00Z', '2026-03-03T08:00:00.000Z'],
    ['after closing on a Friday', '2026-03-27T19:00:00Z', '2026-03-30T07:00:00.000Z'],
    ['on a Saturday', '2026-03-28T10:00:00Z', '2026-03-30T07:00:00.000Z'],
    ['on Good Friday', '2026-04-03T09:00:00Z', '2026-04-06T07:00:00.000Z'],
    ['on the eve of a holiday after hours', '2026-06-03T17:00:00Z', '2026-06-05T07:00:00.000Z'],
  ])('when a message arrives %s (%s), then the clock starts at %s', (_label, received, expected) => {
    expect(countingStart(at(received), calendar).toISOString()).toBe(expected);
  });
});

describe('nextBusinessDayStart', () => {
  it.each([
    ['2026-03-02T10:00:00Z', '2026-03-03T08:00:00.000Z'],
    ['2026-03-27T10:00:00Z', '2026-03-30T07:00:00.000Z'], // Friday → Monday after the spring change
    ['2026-04-02T10:00:00Z', '2026-04-06T07:00:00.000Z'], // Thursday → Monday after Good Friday
    ['2026-10-23T10:00:00Z', '2026-10-26T08:00:00.000Z'], // Friday → Monday after the autumn change
    ['2026-12-31T10:00:00Z', '2027-01-04T08:00:00.000Z'], // New Year's Day is a Friday in 2027
  ])('when it is %s, then the next business day opens at %s', (now, expected) => {
    expect(nextBusinessDayStart(at(now), calendar).toISOString()).toBe(expected);
  });
});

describe('computeDeadline', () => {
  it.each([
    // 7 business days (normal deadline)
    ['Monday within hours', '2026-03-02T10:00:00Z', 7, '2026-03-10T17:30:00.000Z'],
    ['Monday before opening', '2026-03-02T07:00:00Z', 7, '2026-03-10T17:30:00.000Z'],
    ['Monday in the lunch gap', '2026-03-02T12:30:00Z', 7, '2026-03-10T17:30:00.000Z'],
    ['Monday after hours', '2026-03-02T18:00:00Z', 7, '2026-03-11T17:30:00.000Z'],
    ['across the spring DST change and Good Friday 2026', '2026-03-26T10:00:00Z', 7, '2026-04-06T16:30:00.000Z'],
    ['one minute before closing', '2026-03-26T17:29:00Z', 7, '2026-04-06T16:30:00.000Z'],
    ['at closing time', '2026-03-26T17:30:00Z', 7, '2026-04-07T16:30:00.000Z'],
    ['after hours before the DST change', '2026-03-26T18:00:00Z', 7, '2026-04-07T16:30:00.000Z'],
    ['on the Saturday before the DST change', '2026-03-28T10:00:00Z', 7, '2026-04-08T16:30:00.000Z'],
    ['on the Sunday of the DST change', '2026-03-29T08:00:00Z', 7, '2026-04-08T16:30:00.000Z'],
    ['on Good Friday 2026', '2026-04-03T09:00:00Z', 7, '2026-04-14T16:30:00.000Z'],
    ['on Corpus Christi 2026, with Dia de Portugal inside', '2026-06-04T09:00:00Z', 7, '2026-06-16T16:30:00.000Z'],
    ['across the autumn DST change 2026', '2026-10-22T14:00:00Z', 7, '2026-10-30T17:30:00.000Z'],
    ['across the 5 October holiday', '2026-10-02T09:00:00Z', 7, '2026-10-13T16:30:00.000Z'],
    ['on Christmas Eve, across two holidays and the new year', '2026-12-24T10:00:00Z', 7, '2027-01-05T17:30:00.000Z'],
    ['across Good Friday and the DST change 2027', '2027-03-25T10:00:00Z', 7, '2027-04-05T16:30:00.000Z'],
    ['on Easter Sunday 2027, the day of the DST change', '2027-03-28T11:00:00Z', 7, '2027-04-06T16:30:00.000Z'],
    ['across Corpus Christi 2027', '2027-05-26T09:00:00Z', 7, '2027-06-04T16:30:00.000Z'],
    ['across the autumn DST change 2027 and All Saints', '2027-10-29T15:00:00Z', 7, '2027-11-09T17:30:00.000Z'],
    // 30 business days (complex case)
    ['complex, across the spring DST change and Good Friday', '2026-03-02T10:00:00Z', 30, '2026-04-13T16:30:00.000Z'],
    ['complex, across Corpus Christi and Dia de Portugal', '2026-05-20T10:00:00Z', 30, '2026-07-02T16:30:00.000Z'],
    ['complex, across December holidays into 2027', '2026-11-30T10:00:00Z', 30, '2027-01-14T17:30:00.000Z'],
    ['complex, across 5 October, the DST change and All Saints 2027', '2027-10-04T09:00:00Z', 30, '2027-11-16T17:30:00.000Z'],
    // one business day: the end of the day the clock starts on
    ['one day, within hours', '2026-03-02T10:00:00Z', 1, '2026-03-02T17:30:00.000Z'],
    ['one day, after hours on a Friday', '2026-03-27T18:00:00Z', 1, '2026-03-30T16:30:00.000Z'],
  ])('when received %s (%s) with %i business days, then the deadline is %s', (_label, received, days, expected) => {
    expect(computeDeadline(at(received), days, calendar).toISOString()).toBe(expected);
  });

  it('when the deadline is in summer time, then it is 17:30 on the Lisbon wall clock', () => {
    const deadline = computeDeadline(at('2026-03-26T10:00:00Z'), 7, calendar);
    const wall = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Lisbon',
      dateStyle: 'short',
      timeStyle: 'short',
    }).format(deadline);
    expect(wall).toBe('06/04/2026, 17:30');
  });

  it.each([0, -1, 2.5, Number.NaN])('when the business days are %p, then it throws RangeError', (days) => {
    expect(() => computeDeadline(at('2026-03-02T10:00:00Z'), days, calendar)).toThrow(RangeError);
  });

  it('when the deadline would fall beyond the calendar years, then it throws', () => {
    expect(() => computeDeadline(at('2027-12-20T10:00:00Z'), 30, calendar)).toThrow(/covers 2026..2027/);
  });

  it('when the office closes at midnight, then the deadline is the end of that day', () => {
    const late = buildBusinessCalendar({
      timezone: 'Europe/Lisbon',
      officeHours: ['09:00-24:00'],
      holidays: [],
      years: { from: 2026, to: 2026 },
    });
    const deadline = computeDeadline(at('2026-03-02T10:00:00Z'), 2, late);
    expect(deadline.toISOString()).toBe('2026-03-04T00:00:00.000Z');
    expect(businessDaysBetween(at('2026-03-02T10:00:00Z'), deadline, late)).toBe(1);
    expect(reminderAt(deadline, 0, late).toISOString()).toBe('2026-03-03T09:00:00.000Z');
  });
});

describe('businessDaysBetween', () => {
  it.each([
    ['the same day', '2026-03-02T08:00:00Z', '2026-03-02T17:00:00Z', 0],
    ['Friday to Monday', '2026-03-27T10:00:00Z', '2026-03-30T10:00:00Z', 1],
    ['Thursday to Monday over Good Friday', '2026-04-02T10:00:00Z', '2026-04-06T10:00:00Z', 1],
    ['Monday to the next Monday', '2026-03-02T10:00:00Z', '2026-03-09T10:00:00Z', 5],
    ['backwards', '2026-03-09T10:00:00Z', '2026-03-02T10:00:00Z', -5],
    ['from a Saturday to Monday', '2026-03-28T10:00:00Z', '2026-03-30T10:00:00Z', 1],
    ['across the year end', '2026-12-31T10:00:00Z', '2027-01-04T10:00:00Z', 1],
  ])('when counting %s, then it is %i', (_label, from, to, expected) => {
    expect(businessDaysBetween(at(from), at(to), calendar)).toBe(expected);
  });

  it.each([
    ['2026-03-26T10:00:00Z', 7],
    ['2026-03-28T10:00:00Z', 7],
    ['2026-11-30T10:00:00Z', 30],
  ])('when a deadline is computed from %s with %i days, then n - 1 business days separate start and deadline', (received, days) => {
    const start = countingStart(at(received), calendar);
    const deadline = computeDeadline(at(received), days, calendar);
    expect(businessDaysBetween(start, deadline, calendar)).toBe(days - 1);
  });
});

describe('isOverdue', () => {
  const deadline = at('2026-04-06T16:30:00Z');
  it.each([
    ['a day before', '2026-04-05T16:30:00Z', false],
    ['at the deadline itself', '2026-04-06T16:30:00Z', false],
    ['one millisecond after', '2026-04-06T16:30:00.001Z', true],
  ])('when it is %s, then overdue is %s', (_label, now, expected) => {
    expect(isOverdue(deadline, at(now))).toBe(expected);
  });
});

describe('reminderAt', () => {
  it.each([
    // Monday after Good Friday: two business days before is Wednesday 1 April
    ['2026-04-06T16:30:00Z', 2, '2026-04-01T07:00:00.000Z'],
    ['2026-04-06T16:30:00Z', 0, '2026-04-06T07:00:00.000Z'],
    // Tuesday after the autumn change: two business days before is Friday in summer time
    ['2026-10-27T17:30:00Z', 2, '2026-10-23T07:00:00.000Z'],
  ])('when the deadline is %s and the reminder %i days before, then it is due from %s', (deadline, days, expected) => {
    expect(reminderAt(at(deadline), days, calendar).toISOString()).toBe(expected);
  });
});

describe('reminderDue', () => {
  const deadline = at('2026-04-06T16:30:00Z');
  it.each([
    ['before the reminder day', '2026-03-31T16:00:00Z', false],
    ['just before the reminder day opens', '2026-04-01T06:59:59Z', false],
    ['when the reminder day opens', '2026-04-01T07:00:00Z', true],
    ['on Good Friday', '2026-04-03T10:00:00Z', true],
    ['at the deadline', '2026-04-06T16:30:00Z', true],
    ['after the deadline (overdue instead)', '2026-04-06T16:31:00Z', false],
  ])('when it is %s (%s), then due is %s', (_label, now, expected) => {
    expect(reminderDue(deadline, at(now), 2, calendar)).toBe(expected);
  });
});

describe('computeDeadline over two whole years', () => {
  const wallClock = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Lisbon',
    hourCycle: 'h23',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });

  it('when a message arrives at each day of 2026-2027, then its 1-day deadline is 17:30 Lisbon time on a weekday', () => {
    for (let t = Date.UTC(2026, 0, 1, 12); t < Date.UTC(2027, 11, 20); t += 86_400_000) {
      const deadline = computeDeadline(new Date(t), 1, calendar);
      const text = wallClock.format(deadline);
      expect([text, isBusinessDay(deadline, calendar)]).toEqual([expect.stringMatching(/^(Mon|Tue|Wed|Thu|Fri) 17:30$/), true]);
    }
  });

  it('when a message arrives at each day of 2026-2027, then its clock starts within office hours', () => {
    for (let t = Date.UTC(2026, 0, 1, 5); t < Date.UTC(2027, 11, 20); t += 86_400_000) {
      expect(isWithinOfficeHours(countingStart(new Date(t), calendar), calendar)).toBe(true);
    }
  });
});

describe('computeDeadline at the edges: after hours before holidays, the DST hours, 2027', () => {
  it.each([
    // [label, received (UTC), clock starts (UTC), 7-day deadline (UTC)]
    ['after hours on the Thursday before Good Friday 2027 (the DST change is on Easter Sunday)', '2027-03-25T18:00:00Z', '2027-03-29T07:00:00.000Z', '2027-04-06T16:30:00.000Z'],
    ['before opening on the Monday after the spring change 2027', '2027-03-29T06:30:00Z', '2027-03-29T07:00:00.000Z', '2027-04-06T16:30:00.000Z'],
    ['in the hour the spring change skips (Sunday 29 March 2026, 01:30 UTC)', '2026-03-29T01:30:00Z', '2026-03-30T07:00:00.000Z', '2026-04-08T16:30:00.000Z'],
    ['in the first 01:30 of the repeated autumn hour 2026 (WEST)', '2026-10-25T00:30:00Z', '2026-10-26T08:00:00.000Z', '2026-11-03T17:30:00.000Z'],
    ['in the second 01:30 of the repeated autumn hour 2026 (WET)', '2026-10-25T01:30:00Z', '2026-10-26T08:00:00.000Z', '2026-11-03T17:30:00.000Z'],
    ['after hours the Friday before the autumn change 2027, All Saints on the Monday', '2027-10-29T18:00:00Z', '2027-11-02T08:00:00.000Z', '2027-11-10T17:30:00.000Z'],
    ['in the lunch gap in summer time', '2026-06-17T11:30:00Z', '2026-06-17T12:00:00.000Z', '2026-06-25T16:30:00.000Z'],
    ["after hours on New Year's Eve, New Year's Day next", '2026-12-31T18:00:00Z', '2027-01-04T08:00:00.000Z', '2027-01-12T17:30:00.000Z'],
    ['after hours on the eve of Corpus Christi 2027', '2027-05-26T17:45:00Z', '2027-05-28T07:00:00.000Z', '2027-06-07T16:30:00.000Z'],
    ['after hours on the eve of 1 December 2027, 8 December inside', '2027-11-30T18:00:00Z', '2027-12-02T08:00:00.000Z', '2027-12-13T17:30:00.000Z'],
  ])('when a message arrives %s (%s), then the clock starts at %s and 7 business days end at %s', (_label, received, start, deadline) => {
    expect(countingStart(at(received), calendar).toISOString()).toBe(start);
    expect(computeDeadline(at(received), 7, calendar).toISOString()).toBe(deadline);
  });

  it('when a complex case arrives on 1 March 2027, then 30 business days skip Good Friday and cross the DST change: 12 April 17:30 summer time', () => {
    expect(computeDeadline(at('2027-03-01T10:00:00Z'), 30, calendar).toISOString()).toBe('2027-04-12T16:30:00.000Z');
  });

  it('when a deadline is extended to any length between 7 and 30, then it never moves earlier and always ends at 17:30 Lisbon on a business day', () => {
    const wall = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Lisbon', hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    for (const received of ['2026-03-27T19:00:00Z', '2026-12-23T16:00:00Z', '2027-03-25T18:00:00Z', '2027-10-22T12:30:00Z']) {
      let previous = 0;
      for (let days = 7; days <= 30; days++) {
        const deadline = computeDeadline(at(received), days, calendar);
        expect(deadline.getTime()).toBeGreaterThan(previous);
        expect([wall.format(deadline), isBusinessDay(deadline, calendar)]).toEqual(['17:30', true]);
        previous = deadline.getTime();
      }
    }
  });
});
