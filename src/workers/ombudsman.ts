import { mailEvent, type CaseRecord, type CaseStore, type TimelineEvent } from '../adapters/case-store';
import { reminderDue, type BusinessCalendar } from '../core/business-days';
import { composeOmbudsmanNotice, composeOmbudsmanReminder, type ComposeContext, type OutgoingMail } from '../core/compose';
import { markComplex as markCaseComplex, transitionOmbudsmanCase, type OmbudsmanCase, type OmbudsmanState } from '../core/ombudsman-states';
import { buildReplyAddress } from '../core/reply-token';
import type { Rules } from '../core/types';
import type { Logger } from '../log';
import { caseView } from './classifier';

/**
 * The second instance's actions outside message processing (policy §4), shared by the web console,
 * the `triage ombudsman` command and the workers' sweep. A shell: the rules of the lifecycle are in
 * core/ombudsman-states.ts, the mail in core/compose.ts; this file loads, saves and enqueues.
 *
 * - changeState: received → in analysis → answered → closed (answered → in analysis again); the
 *   customer gets a notice per change; closing the ombudsman case closes the case, so an old team
 *   answer replayed to its reply address goes to review (policy §7).
 * - markComplex: the deadline becomes up to 30 business days from the receipt, the reason is
 *   recorded, the customer is told the new deadline.
 * - sweepReminders: once per deadline, the ombudsman team is reminded
 *   `rules.ombudsman.reminderBusinessDaysBefore` business days before it.
 *
 * Every mail has a Message-ID derived from the case and the change (`ouv-<n>-<state>`,
 * `ouv-complex`, `ouv-reminder-<deadline>`), so repeating an action, or two sweeps at once, queues
 * the same job again and the router's sent marker stops a second send (architecture habit 7).
 */

export interface OmbudsmanDeps {
  store: CaseStore;
  enqueueMails: (mails: readonly OutgoingMail[], receivedAt: string | null) => Promise<string[]>;
  rules: Rules;
  calendarFor: (now: Date) => BusinessCalendar;
  inboxAddress: string;
  fromName: string;
  secret: string;
  logger: Logger;
  now?: () => Date;
}

export type OmbudsmanActionResult =
  | {
      ok: true;
      caseId: string;
      ombudsman: OmbudsmanCase;
      /** Job ids of the mails queued (the customer's notice). */
      jobIds: string[];
      /** true when the case already was in that state: the same notice was queued again, not a new one. */
      repeated: boolean;
    }
  | { ok: false; reason: 'not_found' | 'not_ombudsman' | 'invalid'; message: string };

export interface OmbudsmanActions {
  changeState(reference: string, to: OmbudsmanState, by: string): Promise<OmbudsmanActionResult>;
  markComplex(reference: string, input: { reason: string; by: string; businessDays?: number }): Promise<OmbudsmanActionResult>;
  /** Reminds the ombudsman team of each deadline that is near; returns the case ids reminded now. */
  sweepReminders(): Promise<string[]>;
}

const CASE_ID = /^\[?\s*#?\s*([A-Za-z][A-Za-z0-9]*-\d{4}-\d{6,})\s*\]?$/;

/** `MO-2026-000123`, `[#MO-2026-000123]` or `mo-2026-000123` → `MO-2026-000123`; null otherwise. */
export function caseIdOf(reference: string): string | null {
  return CASE_ID.exec(reference.trim())?.[1]?.toUpperCase() ?? null;
}

type Change = { ombudsman: OmbudsmanCase; mail: OutgoingMail | null; repeated: boolean };
type Failure = { reason: 'not_ombudsman' | 'invalid'; message: string };

export function createOmbudsmanActions(deps: OmbudsmanDeps): OmbudsmanActions {
  const log = deps.logger.child({ component: 'ombudsman' });
  const clock = deps.now ?? (() => new Date());
  const { rules, store } = deps;

  const context = (caseId: string, now: Date): ComposeContext => ({
    rules,
    inboxAddress: deps.inboxAddress,
    fromName: deps.fromName,
    caseReplyAddress: buildReplyAddress(deps.inboxAddress, caseId, deps.secret),
    now,
  });

  /** The customer's notice; none when the case has no customer address to write to. */
  function notice(record: CaseRecord, ombudsman: OmbudsmanCase, event: Parameters<typeof composeOmbudsmanNotice>[3], now: Date): OutgoingMail | null {
    if (!record.customer.address) return null;
    return composeOmbudsmanNotice(caseView(record), ombudsman, record.language, event, context(record.id, now));
  }

  /**
   * Applies `change` to the case with the store's compare-and-set update, then queues the notice.
   * `change` returns the new case (or null: nothing to save) and what to tell the customer.
   */
  async function apply(
    reference: string,
    by: string,
    change: (record: CaseRecord, ombudsman: OmbudsmanCase, now: Date) => (Change & { next: CaseRecord | null; event: TimelineEvent | null }) | Failure,
  ): Promise<OmbudsmanActionResult> {
    const id = caseIdOf(reference);
    if (!id || !(await store.getCase(id))) return { ok: false, reason: 'not_found', message: `no case ${reference}` };
    const now = clock();
    let outcome: Change | null = null;
    let failure: Failure | null = null;
    let event: TimelineEvent | null = null;
    await store.updateCase(
      id,
      (latest) => {
        outcome = null;
        failure = null;
        event = null;
        if (!latest.ombudsman) {
          failure = { reason: 'not_ombudsman', message: `case ${id} is not an ombudsman case` };
          return null;
        }
        const result = change(latest, latest.ombudsman, now);
        if ('reason' in result) {
          failure = result;
          return null;
        }
        outcome = result;
        event = result.event;
        if (!result.next) return null;
        const next = result.next;
        if (result.mail) {
          next.mails.push({ step: result.mail.step, kind: result.mail.kind, messageId: result.mail.messageId, to: result.mail.to, cc: result.mail.cc });
          if (!next.thread.includes(result.mail.messageId)) next.thread.push(result.mail.messageId);
        }
        return next;
      },
      () => {
        const events: TimelineEvent[] = event ? [event] : [];
        const mail = (outcome as Change | null)?.mail;
        if (mail) {
          events.push(mailEvent(mail, now.toISOString(), 'queued'));
        }
        return events;
      },
    );
    const failed = failure as Failure | null;
    if (failed) return { ok: false, ...failed };
    const done = outcome as Change | null;
    if (!done) return { ok: false, reason: 'invalid', message: `case ${id} could not be updated` };
    const mails = done.mail ? [done.mail] : [];
    if (mails.length > 0) await store.indexMessageIds(id, mails.map((m) => m.messageId));
    // After the save: a notice never announces a change that was not recorded. A failure here is
    // healed by repeating the action, which queues the same notice (same job id) again.
    const jobIds = await deps.enqueueMails(mails, null);
    log.info({ msg: 'ombudsman case updated', caseId: id, state: done.ombudsman.state, deadline: done.ombudsman.deadline, repeated: done.repeated, by, jobIds });
    return { ok: true, caseId: id, ombudsman: done.ombudsman, jobIds, repeated: done.repeated };
  }

  return {
    changeState(reference, to, by) {
      return apply(reference, by, (record, current, now) => {
        const last = current.history[current.history.length - 1];
        // The same command again (an operator retrying after an error): the same notice, queued again.
        if (current.state === to && last?.to === to && current.history.length > 1) {
          return { ombudsman: current, next: null, event: null, repeated: true, mail: notice(record, current, { type: 'state_changed', to, index: current.history.length - 1 }, now) };
        }
        const result = transitionOmbudsmanCase(current, to, now);
        if (!result.ok) return { reason: 'invalid', message: result.message };
        const at = now.toISOString();
        const next: CaseRecord = { ...structuredClone(record), ombudsman: result.case, updatedAt: at };
        if (to === 'closed') {
          next.status = 'closed';
          next.statusReason = `ombudsman case ${current.protocol} closed by ${by}`;
        }
        const mail = notice(record, result.case, { type: 'state_changed', to, index: result.case.history.length - 1 }, now);
        const event: TimelineEvent = { kind: 'ombudsman', at, change: 'state', from: current.state, to, deadline: result.case.deadline, reason: null, by };
        return { ombudsman: result.case, next, event, repeated: false, mail };
      });
    },

    markComplex(reference, input) {
      return apply(reference, input.by, (record, current, now) => {
        if (current.complex && current.complex.reason === input.reason.trim()) {
          return { ombudsman: current, next: null, event: null, repeated: true, mail: notice(record, current, { type: 'marked_complex' }, now) };
        }
        const result = markCaseComplex(current, input.reason, now, rules.ombudsman, deps.calendarFor(now), input.businessDays ?? rules.ombudsman.complexDeadlineBusinessDays);
        if (!result.ok) return { reason: 'invalid', message: result.message };
        const at = now.toISOString();
        const next: CaseRecord = { ...structuredClone(record), ombudsman: result.case, updatedAt: at };
        const mail = notice(record, result.case, { type: 'marked_complex' }, now);
        const event: TimelineEvent = {
          kind: 'ombudsman',
          at,
          change: 'complex',
          from: current.state,
          to: current.state,
          deadline: result.case.deadline,
          reason: result.case.complex?.reason ?? null,
          by: input.by,
        };
        return { ombudsman: result.case, next, event, repeated: false, mail };
      });
    },

    async sweepReminders() {
      const now = clock();
      const daysBefore = rules.ombudsman.reminderBusinessDaysBefore;
      const route = rules.routes.ombudsman;
      if (route.to.length === 0) return [];
      const calendar = deps.calendarFor(now);
      const reminded: string[] = [];
      for (const { id, deadline } of await store.openOmbudsman()) {
        if (!reminderDue(deadline, now, daysBefore, calendar)) continue;
        const stored = await store.getCase(id);
        const o = stored?.record.ombudsman;
        if (!stored || !o || o.state === 'answered' || o.state === 'closed') continue;
        if (stored.record.ombudsmanReminderFor === o.deadline) continue;
        const mail = composeOmbudsmanReminder(caseView(stored.record), o, route, context(id, now));
        // Queue first, then mark: two sweeps at once queue the same job id, and the sent marker
        // stops a second send; a crash in between only means the next sweep queues it again.
        await deps.enqueueMails([mail], null);
        const at = now.toISOString();
        let marked = false;
        await store.updateCase(
          id,
          (latest) => {
            marked = latest.ombudsman?.deadline === o.deadline && latest.ombudsmanReminderFor !== o.deadline;
            if (!marked) return null;
            return {
              ...structuredClone(latest),
              ombudsmanReminderFor: o.deadline,
              mails: [...latest.mails, { step: mail.step, kind: mail.kind, messageId: mail.messageId, to: mail.to, cc: mail.cc }],
            };
          },
          () => [
            { kind: 'ombudsman', at, change: 'reminder', from: o.state, to: o.state, deadline: o.deadline, reason: null, by: null },
            mailEvent(mail, at, 'queued'),
          ],
        );
        if (marked) reminded.push(id);
      }
      if (reminded.length > 0) log.info({ msg: 'ombudsman deadline reminders queued', cases: reminded, daysBefore });
      return reminded;
    },
  };
}
