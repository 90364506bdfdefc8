import { UnrecoverableError } from 'bullmq';
import { mailEvent, type CaseStore, type DeliveryRecord } from '../adapters/case-store';
import { extractFiles } from '../adapters/mime';
import type { SendJobData } from '../adapters/queues';
import type { SendJournal } from '../adapters/send-journal';
import type { FindSent } from '../adapters/sent-folder';
import { classifySendError, recipientErrors, type AttachmentContent, type MailSender, type RecipientError } from '../adapters/smtp-sender';
import { toLocalDate } from '../core/business-days';
import type { Rules } from '../core/types';
import { TriageError } from '../errors';
import type { Logger } from '../log';

/**
 * The send step (architecture habit 2: a shell). Sends one prepared mail:
 * - skip when its sent marker exists (a retried job, or a message processed twice, habit 7);
 * - the identity request goes at most once per case per 24 h, and no address gets more than the
 *   configured number of automatic replies per day (policy §2, §5): checked before sending;
 * - after the SMTP server accepts, set the sent marker, per recipient: when some recipients are
 *   deferred (4xx), the retry sends to those only, so nobody gets the mail twice;
 * - each attempt is journalled before the SMTP transaction and cleared once its outcome is
 *   recorded: an entry left by a process that died mid-send puts the mail in doubt, and it is
 *   looked up in the Sent folder before it goes again (see settleInDoubt);
 * - a permanent refusal (5xx, bad credentials) fails the job for good with UnrecoverableError,
 *   keeping the original stack, code and responseCode; anything else is rethrown so BullMQ
 *   retries with backoff (habit 3). Failed jobs stay in the queue as dead letters.
 */

export interface RouterDeps {
  store: CaseStore;
  sender: MailSender;
  rules: Rules;
  logger: Logger;
  now?: () => Date;
  /** Called once a mail is accepted (metrics). */
  onSent?: (data: SendJobData, now: Date) => void;
  /** Called on each failed attempt (metrics). */
  onFailed?: (data: SendJobData, failure: 'permanent' | 'transient') => void;
  /** Sends in flight (send-journal.ts): tells a send cut short by a crash from a first attempt. */
  journal?: SendJournal;
  /** Looks for our Message-ID in the Sent folder (sent-folder.ts) before a send in doubt goes again. */
  findSent?: FindSent;
  /** How long after the attempt that died its copy may take to show in the Sent folder. Default 10 s. */
  sentSettleMs?: number;
}

export type SendOutcome =
  | { status: 'sent'; response: string; rejected: string[] }
  | { status: 'skipped'; reason: string };

/** A permanent SMTP failure, as BullMQ must see it: UnrecoverableError with the original details. */
export class PermanentSendError extends UnrecoverableError {
  readonly code: string;
  readonly responseCode: number | undefined;

  constructor(cause: Error & { code?: string; responseCode?: number }) {
    super(`TRIAGE_SMTP_PERMANENT: ${cause.message}`);
    // BullMQ recognises the class by name as well as by instanceof.
    this.name = 'UnrecoverableError';
    this.code = cause.code ?? 'TRIAGE_SMTP_PERMANENT';
    this.responseCode = cause.responseCode;
    this.cause = cause;
    if (cause.stack) this.stack = `${this.name}: ${this.message}\n${cause.stack.split('\n').slice(1).join('\n')}`;
  }
}

export function createRouter(deps: RouterDeps): (data: SendJobData) => Promise<SendOutcome> {
  const log = deps.logger.child({ component: 'router' });
  const clock = deps.now ?? (() => new Date());
  const limits = deps.rules.limits;

  const skip = async (data: SendJobData, reason: string): Promise<SendOutcome> => {
    const { mail } = data;
    await deps.store.appendEvent(mail.caseId, mailEvent(mail, clock().toISOString(), 'skipped', reason));
    log.info({ caseId: mail.caseId, step: mail.step, kind: mail.kind, reason }, 'mail not sent');
    return { status: 'skipped', reason };
  };

  const recordMail = (data: SendJobData, at: string, status: 'sent' | 'failed', detail: string | null) =>
    deps.store.appendEvent(data.mail.caseId, mailEvent(data.mail, at, status, detail));

  const sentSettleMs = deps.sentSettleMs ?? 10_000;

  /**
   * An earlier attempt died mid-send (its journal entry outlived it): the server may have the mail.
   * Found in the Sent folder → recorded as sent, not sent again. Not found yet → looked for again
   * until `sentSettleMs` after that attempt, then sent again (the server never had it). With no
   * Sent folder to ask, sent again: the recipient may get it twice, with the same Message-ID
   * (which mail clients and helpdesks collapse). Either way the journal keeps the count.
   */
  async function settleInDoubt(data: SendJobData, delivery: DeliveryRecord, pending: string[], since: Date): Promise<SendOutcome | null> {
    const { mail } = data;
    const journal = deps.journal as SendJournal;
    const context = { caseId: mail.caseId, step: mail.step, kind: mail.kind, since: since.toISOString() };
    if (deps.findSent) {
      if (await deps.findSent(mail.messageId)) {
        const at = clock().toISOString();
        delivery.delivered = [...new Set([...delivery.delivered, ...pending])];
        delivery.complete = true;
        delivery.at = at;
        delivery.response = 'found in the Sent folder after an interrupted send';
        await deps.store.putDelivery(mail.messageId, delivery);
        await journal.settle(mail.messageId, 'found-in-sent');
        await journal.end(mail.messageId);
        await recordMail(data, at, 'sent', delivery.response);
        deps.onSent?.(data, new Date(at));
        log.warn(context, 'send in doubt: found in the Sent folder, not sent again');
        return { status: 'sent', response: delivery.response, rejected: delivery.refused.map((r) => r.address) };
      }
      if (clock().getTime() - since.getTime() < sentSettleMs) {
        throw new TriageError('TRIAGE_SMTP_IN_DOUBT', 'a send cut short by a crash is not in the Sent folder yet; looking again before sending', {
          context,
        });
      }
    }
    await journal.settle(mail.messageId, 'sent-again');
    log.warn(context, deps.findSent ? 'send in doubt: not in the Sent folder, sending again' : 'send in doubt: no Sent folder to look in, sending again');
    return null;
  }

  return async function route(data: SendJobData): Promise<SendOutcome> {
    const { mail } = data;
    const delivery: DeliveryRecord = (await deps.store.getDelivery(mail.messageId)) ?? {
      caseId: mail.caseId,
      step: mail.step,
      delivered: [],
      refused: [],
      complete: false,
      at: '',
      response: '',
    };
    if (delivery.complete) {
      log.debug({ caseId: mail.caseId, step: mail.step }, 'already sent');
      return { status: 'skipped', reason: 'already sent' };
    }
    const now = clock();
    // Reservations are per mail (Message-ID): a retry passes them again without counting twice.
    if (mail.kind === 'identity_request') {
      const reserved = await deps.store.reserveIdentityRequest(mail.caseId, mail.messageId, now, limits.identityRequestIntervalHours * 3_600_000);
      if (!reserved.ok) return skip(data, reserved.reason);
    }
    if (mail.capAddress) {
      const day = toLocalDate(now, deps.rules.ombudsman.timezone);
      const reserved = await deps.store.reserveAutoReply(mail.capAddress, mail.messageId, day, limits.maxAutoRepliesPerAddressPerDay);
      if (!reserved.ok) return skip(data, reserved.reason);
    }

    const attachments: AttachmentContent[] = [];
    for (const ref of mail.attachments) {
      const raw = await deps.store.getRaw(ref.hash);
      if (!raw) throw new UnrecoverableError(`TRIAGE_REDIS: the original message ${ref.hash} is no longer in Redis`);
      // A relayed answer carries the team's files, never the message itself (policy §3, §7).
      if (ref.files) attachments.push(...(await extractFiles(raw)));
      else attachments.push({ filename: ref.filename, content: raw });
    }

    const done = new Set([...delivery.delivered, ...delivery.refused.map((r) => r.address)]);
    const pending = [...new Set([...mail.to, ...mail.cc].map((a) => a.toLowerCase()))].filter((a) => !done.has(a));
    const partialRetry = done.size > 0;

    // Habit 7: a crash between the server's acceptance and the sent marker leaves the mail in doubt.
    const inDoubtSince = deps.journal ? await deps.journal.begin(mail.messageId, now) : null;
    if (inDoubtSince) {
      const settled = await settleInDoubt(data, delivery, pending, inDoubtSince);
      if (settled) return settled;
    }

    let accepted: string[] = [];
    let rejections: RecipientError[] = [];
    let response = '';
    let thrown: (Error & { code?: string; responseCode?: number }) | null = null;
    try {
      const result = await deps.sender.send(mail, attachments, partialRetry ? pending : undefined);
      accepted = result.accepted.map((a) => a.toLowerCase());
      rejections = result.rejectedErrors;
      response = result.response;
    } catch (err) {
      const e = err as Error & { code?: string; responseCode?: number; rejectedErrors?: unknown };
      const perRecipient = recipientErrors(e.rejectedErrors);
      if (perRecipient.length === 0) {
        // The whole transaction failed (connection, auth, DATA refused): one verdict for the mail.
        await deps.journal?.end(mail.messageId);
        const failure = classifySendError(e);
        log.warn({ caseId: mail.caseId, step: mail.step, kind: mail.kind, code: e.code, responseCode: e.responseCode, failure, err: e }, 'send failed');
        deps.onFailed?.(data, failure);
        if (failure === 'permanent') {
          await recordMail(data, now.toISOString(), 'failed', `${e.responseCode ?? e.code ?? 'error'}: ${e.message}`);
          throw new PermanentSendError(e);
        }
        throw err;
      }
      rejections = perRecipient;
      thrown = e;
    }

    // RFC 5321 §4.2.1 per recipient: 5yz refused for good, 4yz tried again later (only them).
    const at = clock().toISOString();
    const transient: RecipientError[] = [];
    for (const r of rejections) {
      if (classifySendError(r) === 'permanent') delivery.refused.push({ address: r.recipient, reason: `${r.responseCode ?? r.code ?? ''} ${r.message}`.trim() });
      else transient.push(r);
    }
    delivery.delivered = [...new Set([...delivery.delivered, ...accepted])];
    delivery.complete = transient.length === 0;
    delivery.at = at;
    delivery.response = response || delivery.response;
    // Nobody got it: nothing to protect, so an operator's retry of the dead letter sends it again.
    if (delivery.delivered.length > 0 || transient.length > 0) await deps.store.putDelivery(mail.messageId, delivery);
    await deps.journal?.end(mail.messageId);

    if (transient.length > 0) {
      deps.onFailed?.(data, 'transient');
      const first = transient[0] as RecipientError;
      log.warn({ caseId: mail.caseId, step: mail.step, kind: mail.kind, responseCode: first.responseCode, deferred: transient.length, delivered: delivery.delivered.length }, 'recipients deferred');
      throw Object.assign(new Error(`TRIAGE_SMTP_TRANSIENT: ${transient.length} recipient(s) deferred: ${first.message}`), {
        code: first.code ?? 'TRIAGE_SMTP_TRANSIENT',
        responseCode: first.responseCode,
      });
    }
    if (delivery.delivered.length === 0) {
      deps.onFailed?.(data, 'permanent');
      const first = delivery.refused[0];
      await recordMail(data, at, 'failed', `refused: ${delivery.refused.map((r) => r.reason).join('; ')}`);
      // The original error when nodemailer threw one (its stack, code and responseCode, habit 3).
      const e =
        thrown ??
        Object.assign(new Error(`every recipient refused: ${first?.reason ?? ''}`), {
          code: 'EENVELOPE',
          responseCode: rejections.find((r) => r.responseCode)?.responseCode,
        });
      throw new PermanentSendError(e);
    }
    await recordMail(data, at, 'sent', delivery.refused.length > 0 ? `refused for good: ${delivery.refused.map((r) => r.address).join(', ')}` : null);
    deps.onSent?.(data, new Date(at));
    log.info({ caseId: mail.caseId, step: mail.step, kind: mail.kind, refused: delivery.refused.length }, 'mail sent');
    return { status: 'sent', response: delivery.response, rejected: delivery.refused.map((r) => r.address) };
  };
}
