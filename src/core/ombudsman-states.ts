import { computeDeadline, isOverdue, type BusinessCalendar } from './business-days';
import type { Manifestation, Rules } from './types';

/**
 * The ombudsman case lifecycle (policy §4) as data: each manifestation gets a protocol number and
 * a deadline of `deadlineBusinessDays` business days, or up to `complexDeadlineBusinessDays` for
 * a complex case with the reason recorded, both counted from the original receipt. The customer is
 * told the protocol number, the deadline and each change of state: every successful step returns
 * the event to tell them about.
 *
 * Records hold instants as ISO strings so they store as JSON unchanged; functions never mutate
 * the record they are given.
 */

export const OMBUDSMAN_STATES = ['received', 'in_analysis', 'answered', 'closed'] as const;
export type OmbudsmanState = (typeof OMBUDSMAN_STATES)[number];

/**
 * Allowed transitions. An answered case goes back to analysis when the customer replies with
 * something the answer did not settle; a closed case is final (a new manifestation opens a new
 * protocol).
 */
export const OMBUDSMAN_TRANSITIONS: Readonly<Record<OmbudsmanState, readonly OmbudsmanState[]>> = Object.freeze({
  received: Object.freeze(['in_analysis'] as const),
  in_analysis: Object.freeze(['answered'] as const),
  answered: Object.freeze(['in_analysis', 'closed'] as const),
  closed: Object.freeze([] as const),
});

/** States in which a case may still be marked complex: before it is answered. */
const COMPLEX_MARKABLE: readonly OmbudsmanState[] = ['received', 'in_analysis'];

export type OmbudsmanDeadlineRules = Pick<Rules['ombudsman'], 'deadlineBusinessDays' | 'complexDeadlineBusinessDays'>;

export interface OmbudsmanComplexity {
  /** Why the case needs longer (policy §4: the reason is recorded). */
  reason: string;
  markedAt: string;
  /** The extended deadline, in business days from the original receipt. */
  businessDays: number;
}

export interface OmbudsmanStateChange {
  from: OmbudsmanState | null;
  to: OmbudsmanState;
  at: string;
}

export interface OmbudsmanCase {
  protocol: string;
  manifestation: Manifestation | null;
  state: OmbudsmanState;
  /** When the manifestation was received (the deadline counts from here, also when complex). */
  receivedAt: string;
  /** End of office hours of the last business day allowed. */
  deadline: string;
  deadlineBusinessDays: number;
  complex: OmbudsmanComplexity | null;
  /** Every state the case went through, oldest first, starting with `received`. */
  history: OmbudsmanStateChange[];
}

export type OmbudsmanEvent =
  | { type: 'state_changed'; from: OmbudsmanState; to: OmbudsmanState; at: string }
  | { type: 'marked_complex'; reason: string; deadline: string; at: string };

export type OmbudsmanError =
  /** The transition is not in OMBUDSMAN_TRANSITIONS. */
  | 'illegal_transition'
  /** A complex case needs its reason recorded. */
  | 'reason_required'
  /** The case is already complex. */
  | 'already_complex'
  /** The case is answered or closed: too late to extend its deadline. */
  | 'not_open'
  /** The deadline in force has passed: an extension cannot hide a missed deadline. */
  | 'deadline_passed'
  /** The requested business days are outside [deadlineBusinessDays, complexDeadlineBusinessDays]. */
  | 'invalid_business_days';

export type OmbudsmanResult =
  | { ok: true; case: OmbudsmanCase; event: OmbudsmanEvent }
  | { ok: false; error: OmbudsmanError; message: string };

/** A new case in state `received`, with the normal deadline counted from `receivedAt`. */
export function openOmbudsmanCase(
  input: { protocol: string; manifestation: Manifestation | null; receivedAt: Date },
  rules: OmbudsmanDeadlineRules,
  calendar: BusinessCalendar,
): OmbudsmanCase {
  const receivedAt = input.receivedAt.toISOString();
  return {
    protocol: input.protocol,
    manifestation: input.manifestation,
    state: 'received',
    receivedAt,
    deadline: computeDeadline(input.receivedAt, rules.deadlineBusinessDays, calendar).toISOString(),
    deadlineBusinessDays: rules.deadlineBusinessDays,
    complex: null,
    history: [{ from: null, to: 'received', at: receivedAt }],
  };
}

/** Whether `from` → `to` is an allowed transition. */
export function canTransition(from: OmbudsmanState, to: OmbudsmanState): boolean {
  return OMBUDSMAN_TRANSITIONS[from].includes(to);
}

/** Moves the case to `to` at `at`, or says why it cannot. */
export function transitionOmbudsmanCase(current: OmbudsmanCase, to: OmbudsmanState, at: Date): OmbudsmanResult {
  if (!canTransition(current.state, to)) {
    return {
      ok: false,
      error: 'illegal_transition',
      message: `an ombudsman case cannot go from ${current.state} to ${to}`,
    };
  }
  const change: OmbudsmanStateChange = { from: current.state, to, at: at.toISOString() };
  return {
    ok: true,
    case: { ...current, state: to, history: [...current.history, change] },
    event: { type: 'state_changed', from: current.state, to, at: change.at },
  };
}

/**
 * Marks the case complex with its reason: the deadline becomes `businessDays` (default
 * `complexDeadlineBusinessDays`, policy §4 "up to 30") business days from the original receipt.
 * Only before the case is answered and before the deadline in force has passed, so the customer
 * hears of the extension in time.
 */
export function markComplex(
  current: OmbudsmanCase,
  reason: string,
  at: Date,
  rules: OmbudsmanDeadlineRules,
  calendar: BusinessCalendar,
  businessDays: number = rules.complexDeadlineBusinessDays,
): OmbudsmanResult {
  const why = reason.trim();
  if (why === '') return { ok: false, error: 'reason_required', message: 'a complex case needs a reason' };
  if (current.complex) {
    return { ok: false, error: 'already_complex', message: `case ${current.protocol} is already complex` };
  }
  if (!COMPLEX_MARKABLE.includes(current.state)) {
    return { ok: false, error: 'not_open', message: `case ${current.protocol} is ${current.state}` };
  }
  if (isOverdue(new Date(current.deadline), at)) {
    return {
      ok: false,
      error: 'deadline_passed',
      message: `case ${current.protocol} was due at ${current.deadline}`,
    };
  }
  if (
    !Number.isInteger(businessDays) ||
    businessDays < rules.deadlineBusinessDays ||
    businessDays > rules.complexDeadlineBusinessDays
  ) {
    return {
      ok: false,
      error: 'invalid_business_days',
      message: `a complex deadline is ${rules.deadlineBusinessDays}..${rules.complexDeadlineBusinessDays} business days, not ${businessDays}`,
    };
  }
  const deadline = computeDeadline(new Date(current.receivedAt), businessDays, calendar).toISOString();
  const markedAt = at.toISOString();
  return {
    ok: true,
    case: {
      ...current,
      deadline,
      deadlineBusinessDays: businessDays,
      complex: { reason: why, markedAt, businessDays },
    },
    event: { type: 'marked_complex', reason: why, deadline, at: markedAt },
  };
}

/**
 * When the second instance's clock starts (policy §4): when the complaint arrived, that is when
 * its case opened, even if the case was then held for identity or went through review first.
 * `now` only when the case carries no usable opening time.
 */
export function complaintArrival(caseOpenedAt: string | undefined, now: Date): Date {
  const opened = caseOpenedAt ? new Date(caseOpenedAt) : null;
  return opened && !Number.isNaN(opened.getTime()) && opened.getTime() <= now.getTime() ? opened : now;
}
