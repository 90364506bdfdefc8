import { buildBusinessCalendar } from '../../../src/core/business-days';
import {
  complaintArrival,
  OMBUDSMAN_STATES,
  OMBUDSMAN_TRANSITIONS,
  canTransition,
  markComplex,
  openOmbudsmanCase,
  transitionOmbudsmanCase,
  type OmbudsmanCase,
  type OmbudsmanState,
} from '../../../src/core/ombudsman-states';

const calendar = buildBusinessCalendar({
  timezone: 'Europe/Lisbon',
  officeHours: ['08:00-12:00', '13:00-17:30'],
  holidays: ['2026-04-03', '2026-04-05', '2026-04-25', '2026-05-01', '2026-06-04', '2026-06-10'],
  years: { from: 2026, to: 2026 },
});
const rules = { deadlineBusinessDays: 7, complexDeadlineBusinessDays: 30 };

/** Thursday 26 March 2026, 10:00 Lisbon (WET): 7 days end on Monday 6 April (after Good Friday). */
const RECEIVED = new Date('2026-03-26T10:00:00Z');

function opened(): OmbudsmanCase {
  return openOmbudsmanCase({ protocol: 'OUV-2026-000001', manifestation: 'reclamacao', receivedAt: RECEIVED }, rules, calendar);
}

function moveTo(c: OmbudsmanCase, ...states: OmbudsmanState[]): OmbudsmanCase {
  let current = c;
  for (const state of states) {
    const result = transitionOmbudsmanCase(current, state, new Date('2026-03-27T10:00:00Z'));
    if (!result.ok) throw new Error(result.message);
    current = result.case;
  }
  return current;
}

describe('openOmbudsmanCase', () => {
  it('when a manifestation is received, then the case is received with the 7-business-day deadline', () => {
    expect(opened()).toEqual({
      protocol: 'OUV-2026-000001',
      manifestation: 'reclamacao',
      state: 'received',
      receivedAt: '2026-03-26T10:00:00.000Z',
      deadline: '2026-04-06T16:30:00.000Z',
      deadlineBusinessDays: 7,
      complex: null,
      history: [{ from: null, to: 'received', at: '2026-03-26T10:00:00.000Z' }],
    });
  });

  it('when the case is serialised, then it round-trips through JSON unchanged', () => {
    const c = opened();
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });
});

describe('canTransition', () => {
  const allowed: Array<[OmbudsmanState, OmbudsmanState]> = [
    ['received', 'in_analysis'],
    ['in_analysis', 'answered'],
    ['answered', 'in_analysis'],
    ['answered', 'closed'],
  ];
  const all = OMBUDSMAN_STATES.flatMap((from) => OMBUDSMAN_STATES.map((to) => [from, to] as [OmbudsmanState, OmbudsmanState]));

  it.each(all)('when going from %s to %s, then it is allowed only if listed', (from, to) => {
    const expected = allowed.some(([f, t]) => f === from && t === to);
    expect(canTransition(from, to)).toBe(expected);
  });

  it('when the table is read, then closed is final and every state is listed', () => {
    expect(Object.keys(OMBUDSMAN_TRANSITIONS).sort()).toEqual([...OMBUDSMAN_STATES].sort());
    expect(OMBUDSMAN_TRANSITIONS.closed).toEqual([]);
    expect(Object.isFrozen(OMBUDSMAN_TRANSITIONS)).toBe(true);
  });
});

describe('transitionOmbudsmanCase', () => {
  it('when the case goes to analysis, then the state, history and event say so', () => {
    const c = opened();
    const result = transitionOmbudsmanCase(c, 'in_analysis', new Date('2026-03-27T09:00:00Z'));
    expect(result).toEqual({
      ok: true,
      case: expect.objectContaining({
        state: 'in_analysis',
        history: [
          { from: null, to: 'received', at: '2026-03-26T10:00:00.000Z' },
          { from: 'received', to: 'in_analysis', at: '2026-03-27T09:00:00.000Z' },
        ],
      }),
      event: { type: 'state_changed', from: 'received', to: 'in_analysis', at: '2026-03-27T09:00:00.000Z' },
    });
    expect(c.state).toBe('received'); // the input is left untouched
    expect(c.history).toHaveLength(1);
  });

  it('when the case follows the whole lifecycle, then it ends closed with every step recorded', () => {
    const closed = moveTo(opened(), 'in_analysis', 'answered', 'in_analysis', 'answered', 'closed');
    expect(closed.state).toBe('closed');
    expect(closed.history.map((h) => h.to)).toEqual([
      'received', 'in_analysis', 'answered', 'in_analysis', 'answered', 'closed',
    ]);
  });

  it.each([
    ['received', 'answered', []],
    ['received', 'closed', []],
    ['in_analysis', 'closed', ['in_analysis']],
    ['closed', 'in_analysis', ['in_analysis', 'answered', 'closed']],
  ] as Array<[OmbudsmanState, OmbudsmanState, OmbudsmanState[]]>)(
    'when a %s case is moved to %s, then it is refused as an illegal transition',
    (_from, to, path) => {
      const c = moveTo(opened(), ...path);
      const result = transitionOmbudsmanCase(c, to, new Date('2026-03-30T10:00:00Z'));
      expect(result).toMatchObject({ ok: false, error: 'illegal_transition' });
    },
  );

  it('when the case is frozen, then a transition still works (no mutation)', () => {
    const c = Object.freeze({ ...opened(), history: Object.freeze(opened().history) }) as OmbudsmanCase;
    expect(transitionOmbudsmanCase(c, 'in_analysis', new Date('2026-03-27T09:00:00Z')).ok).toBe(true);
  });
});

describe('markComplex', () => {
  const reason = 'needs the clinical record of three consultations';

  it('when marked complex, then the deadline is 30 business days from the original receipt and the reason is kept', () => {
    const c = moveTo(opened(), 'in_analysis');
    const result = markComplex(c, `  ${reason} `, new Date('2026-04-01T10:00:00Z'), rules, calendar);
    // Thu 26 March + 30 business days, skipping Good Friday and 1 May: Friday 8 May 17:30 WEST
    expect(result).toEqual({
      ok: true,
      case: expect.objectContaining({
        state: 'in_analysis',
        deadline: '2026-05-08T16:30:00.000Z',
        deadlineBusinessDays: 30,
        complex: { reason, markedAt: '2026-04-01T10:00:00.000Z', businessDays: 30 },
        receivedAt: '2026-03-26T10:00:00.000Z',
      }),
      event: { type: 'marked_complex', reason, deadline: '2026-05-08T16:30:00.000Z', at: '2026-04-01T10:00:00.000Z' },
    });
  });

  it('when a shorter extension is asked ("up to 30"), then the deadline uses it', () => {
    const result = markComplex(opened(), reason, new Date('2026-03-27T10:00:00Z'), rules, calendar, 15);
    // 26, 27, 30, 31 Mar, 1, 2, 6-10, 13-16 April: 15th business day is Thursday 16 April
    expect(result.ok && result.case.deadline).toBe('2026-04-16T16:30:00.000Z');
    expect(result.ok && result.case.complex?.businessDays).toBe(15);
  });

  it('when marked at the deadline instant itself, then it is still in time', () => {
    expect(markComplex(opened(), reason, new Date('2026-04-06T16:30:00Z'), rules, calendar).ok).toBe(true);
  });

  it.each([
    ['no reason', opened, '   ', '2026-03-27T10:00:00Z', undefined, 'reason_required'],
    ['an answered case', () => moveTo(opened(), 'in_analysis', 'answered'), reason, '2026-03-27T10:00:00Z', undefined, 'not_open'],
    ['a closed case', () => moveTo(opened(), 'in_analysis', 'answered', 'closed'), reason, '2026-03-27T10:00:00Z', undefined, 'not_open'],
    ['a case past its deadline', opened, reason, '2026-04-06T16:30:01Z', undefined, 'deadline_passed'],
    ['more days than the complex maximum', opened, reason, '2026-03-27T10:00:00Z', 31, 'invalid_business_days'],
    ['fewer days than the normal deadline', opened, reason, '2026-03-27T10:00:00Z', 6, 'invalid_business_days'],
    ['a fractional number of days', opened, reason, '2026-03-27T10:00:00Z', 10.5, 'invalid_business_days'],
  ] as Array<[string, () => OmbudsmanCase, string, string, number | undefined, string]>)(
    'when marking %s, then it is refused',
    (_label, make, why, at, days, error) => {
      const result = markComplex(make(), why, new Date(at), rules, calendar, days);
      expect(result).toMatchObject({ ok: false, error });
    },
  );

  it('when the case is already complex, then a second marking is refused', () => {
    const first = markComplex(opened(), reason, new Date('2026-03-27T10:00:00Z'), rules, calendar);
    if (!first.ok) throw new Error(first.message);
    const second = markComplex(first.case, 'another reason', new Date('2026-03-30T10:00:00Z'), rules, calendar);
    expect(second).toMatchObject({ ok: false, error: 'already_complex' });
  });
});

describe('complaintArrival', () => {
  const now = new Date('2026-04-10T10:00:00Z');
  it.each([
    ['the case opened days before (held for identity)', '2026-04-06T09:30:00.000Z', '2026-04-06T09:30:00.000Z'],
    ['the case carries no opening time', undefined, now.toISOString()],
    ['the opening time is not a date', 'not-a-date', now.toISOString()],
    ['the opening time is in the future', '2026-04-11T10:00:00.000Z', now.toISOString()],
  ])('when %s, then the clock starts at the right time', (_when, openedAt, expected) => {
    expect(complaintArrival(openedAt, now).toISOString()).toBe(expected);
  });
});
