import { UnrecoverableError } from 'bullmq';
import { OVERSIZED_HEADER, parseOversizedHeader } from '../adapters/imap-source';
import { parseMessage } from '../adapters/mime';
import { mailEvent, newCaseRecord, type CaseRecord, type CaseStore, type MessageRecord, type StoredCase, type TimelineEvent } from '../adapters/case-store';
import type { ProtocolCounter } from '../adapters/protocol-counter';
import type { ClassifyJobData, SendJobData } from '../adapters/queues';
import { toLocalDate, type BusinessCalendar } from '../core/business-days';
import { judgeTeamAnswer, nextCaseStatus, normaliseMessageId, outcomeOf, teamAddresses, type MessageOutcome } from '../core/case-matching';
import { composeRelay, planMails, type CaseView, type ComposeContext, type OutgoingMail, type SourceMessage } from '../core/compose';
import { complaintArrival, openOmbudsmanCase } from '../core/ombudsman-states';
import { formatProtocol } from '../core/protocol';
import { buildReplyAddress, findReplyAddress, verifyCaseToken } from '../core/reply-token';
import type { CaseState, Decision, ParsedMessage, Rules } from '../core/types';
import type { Logger } from '../log';

/**
 * The classify step (architecture habit 2: a shell). Load the raw message, parse it, find its
 * case, decide, save the case together with the processed marker, then enqueue one send job per
 * mail. Policy lives in core/ (decide, case-matching, compose); this file only wires it.
 *
 * Idempotent (habit 7): the processed marker is written in the same Redis script as the case, and
 * it carries the planned mails. A second copy of the message, or a retry after a crash between
 * the commit and the enqueue, finds the marker and re-enqueues the same mails (same job ids,
 * and the router's sent markers stop any second send).
 */

export type DecideFn = (message: ParsedMessage, caseState: CaseState | undefined, rules: Rules, now: Date) => Decision;

export interface ClassifierDeps {
  store: CaseStore;
  enqueueMails: (mails: readonly OutgoingMail[], receivedAt: string | null) => Promise<string[]>;
  rules: Rules;
  decide: DecideFn;
  inboxAddress: string;
  fromName: string;
  secret: string;
  protocols: ProtocolCounter;
  /** The ombudsman's business calendar covering `now` (policy §4). */
  calendarFor: (now: Date) => BusinessCalendar;
  logger: Logger;
  now?: () => Date;
  /** Called once per message decided (not for duplicates): metrics. */
  onDecided?: (outcome: MessageOutcome, categories: string[]) => void;
}

export interface ClassifyOutcome {
  hash: string;
  outcome: MessageOutcome;
  caseId: string | null;
  reason: string | null;
  mails: Array<{ kind: OutgoingMail['kind']; step: string; to: string[]; cc: string[] }>;
  /** true when the message had already been processed (its mails were enqueued again). */
  duplicate: boolean;
}

const MAX_COMMIT_ATTEMPTS = 8;

export function createClassifier(deps: ClassifierDeps): (data: ClassifyJobData) => Promise<ClassifyOutcome> {
  const log = deps.logger.child({ component: 'classifier' });
  const clock = deps.now ?? (() => new Date());
  const casePrefix = deps.rules.self.caseReferencePrefix;
  const teams = teamAddresses(deps.rules.routes);

  const summary = (record: MessageRecord, duplicate: boolean): ClassifyOutcome => ({
    hash: record.hash,
    outcome: record.outcome,
    caseId: record.caseId,
    reason: record.reason,
    mails: (record.mails as SendJobData[]).map(({ mail }) => ({ kind: mail.kind, step: mail.step, to: mail.to, cc: mail.cc })),
    duplicate,
  });

  async function finish(record: MessageRecord, duplicate: boolean, receivedAt: string): Promise<ClassifyOutcome> {
    const mails = (record.mails as SendJobData[]).map((d) => d.mail);
    await deps.enqueueMails(mails, receivedAt);
    const out = summary(record, duplicate);
    log.info(
      { hash: record.hash, caseId: record.caseId, outcome: record.outcome, reason: record.reason, mails: out.mails.map((m) => m.kind), duplicate },
      'message classified',
    );
    return out;
  }

  const composeContext = (caseId: string, now: Date): ComposeContext => ({
    rules: deps.rules,
    inboxAddress: deps.inboxAddress,
    fromName: deps.fromName,
    caseReplyAddress: buildReplyAddress(deps.inboxAddress, caseId, deps.secret),
    now,
  });

  return async function classify(data: ClassifyJobData): Promise<ClassifyOutcome> {
    const done = await deps.store.getMessage(data.hash);
    if (done) return finish(done, true, data.receivedAt);

    const raw = await deps.store.getRaw(data.hash);
    if (!raw) throw new UnrecoverableError(`TRIAGE_REDIS: raw message ${data.hash} is not in Redis (expired or never stored)`);
    const now = clock();

    // Policy: oversized or unreadable messages go to review with the reason, never dropped.
    if (raw.length > deps.rules.limits.maxMessageBytes) {
      return commitUnread(data, now, `message of ${raw.length} bytes is over the ${deps.rules.limits.maxMessageBytes}-byte limit`);
    }
    const message = await parseMessage(raw);
    const unreadable = message.problems.find((p) => p.startsWith('MIME parse failed') || p === 'empty message');
    if (unreadable) return commitUnread(data, now, `message could not be parsed: ${unreadable}`);

    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const plan = await planMessage(data, message, now);
      const result = await deps.store.commit(plan.commit);
      if (result.status === 'ok') {
        const categories = plan.commit.case?.record.routes.map((r) => r.category) ?? [];
        deps.onDecided?.(plan.commit.message.outcome, plan.commit.message.outcome === 'forwarded' || plan.commit.message.outcome === 'held' ? categories : []);
        return finish(plan.commit.message, false, data.receivedAt);
      }
      if (result.status === 'duplicate') return finish(result.existing, true, data.receivedAt);
      // Another message of the same case was saved meanwhile: read the case again and redecide.
    }
    throw new Error(`case of message ${data.hash}: too many concurrent updates, retrying later`);
  };

  async function commitUnread(data: ClassifyJobData, now: Date, reason: string): Promise<ClassifyOutcome> {
    const id = await deps.store.allocateCaseId(localYear(now, deps.rules), casePrefix);
    const record = newCaseRecord({ id, nonce: deps.store.newNonce(), at: now, customer: { address: null, name: '' }, subject: '', language: 'pt' });
    const message: MessageRecord = { hash: data.hash, messageId: null, caseId: id, outcome: 'review', reason, at: now.toISOString(), source: data.source, mails: [] };
    record.status = 'review';
    record.statusReason = reason;
    record.messages.push({ hash: data.hash, messageId: null, at: message.at, outcome: 'review' });
    const result = await deps.store.commit({
      message,
      case: { record, expectedVersion: 0, previousStatus: null },
      events: [
        { kind: 'message', at: message.at, hash: data.hash, messageId: null, from: '', outcome: 'review' },
        { kind: 'decision', at: message.at, action: 'review', categories: [], reasons: [reason], missing: [], reason, by: null },
      ],
      indexMessageIds: [],
    });
    if (result.status === 'duplicate') return finish(result.existing, true, data.receivedAt);
    return finish(message, false, data.receivedAt);
  }

  async function planMessage(data: ClassifyJobData, message: ParsedMessage, now: Date) {
    // A mail to a case's tagged reply address is a team's answer (policy §7).
    const tag = findReplyAddress(recipientsOf(message), deps.inboxAddress);
    const tokenValid = tag ? safeVerify(tag.caseRef, tag.token, deps.secret) : false;
    const tagged = tag && tokenValid ? await deps.store.getCase(tag.caseRef) : null;
    const found: StoredCase | null = tagged
      ? tagged
      : tag
        ? null // A forged or stale tag never joins a case by its other headers either.
        : await deps.store.findCase(message, casePrefix);

    let decision = deps.decide(message, found ? toCaseState(found.record) : undefined, deps.rules, now);
    // The poller ingests a placeholder for a message over the size limit: review, never dropped.
    const oversized = parseOversizedHeader(message.headers[OVERSIZED_HEADER.toLowerCase()]?.[0]);
    if (oversized && decision.action !== 'suppress') {
      decision = asReview(
        decision,
        `message of ${oversized.size} bytes is over the ${oversized.limit}-byte limit; the original is kept on the mail server (UID ${oversized.uid})`,
      );
    }
    const at = now.toISOString();
    const messageId = normaliseMessageId(message.messageId);

    if (decision.action !== 'suppress' && tag) {
      const verdict = judgeTeamAnswer({
        caseFound: !!tagged,
        tokenValid,
        from: message.from?.address ?? null,
        routes: tagged ? destinationsOf(tagged.record) : [],
        categories: tagged?.record.categories ?? [],
        customer: tagged?.record.customer.address ?? null,
        status: tagged?.record.status ?? null,
      });
      if (verdict.action === 'relay' && tagged) return planRelay(data, message, tagged, now);
      const reason = verdict.action === 'review' ? verdict.reason : 'answer not relayed';
      return planDecision(data, message, tagged ?? null, asReview(decision, reason), now, at, messageId, false);
    }
    // A team writing to the plain inbox (not the case's reply address) is never a customer: its
    // mail would otherwise be forwarded back to it (policy §7: answers need the token).
    if (decision.action !== 'suppress' && teams.has((message.from?.address ?? '').toLowerCase())) {
      return planDecision(data, message, found, asReview(decision, 'mail from a destination team without the case reply address'), now, at, messageId, false);
    }
    if (decision.action === 'suppress' && !found) {
      // Machine mail on no case is kept with its reason (policy §5) but opens no case.
      const record: MessageRecord = {
        hash: data.hash,
        messageId,
        caseId: null,
        outcome: 'suppressed',
        reason: decision.machineReason,
        at,
        source: data.source,
        mails: [],
      };
      return { commit: { message: record, case: null, events: [], indexMessageIds: [] } };
    }
    return planDecision(data, message, found, decision, now, at, messageId);
  }

  async function planDecision(
    data: ClassifyJobData,
    message: ParsedMessage,
    found: StoredCase | null,
    decision: Decision,
    now: Date,
    at: string,
    messageId: string | null,
    /** false for a team's mail or a forged answer: it never supplies identity nor joins the customer's thread. */
    fromCustomer = true,
  ) {
    const previousStatus = found?.record.status ?? null;
    const record: CaseRecord = found
      ? structuredClone(found.record)
      : newCaseRecord({
          id: await deps.store.allocateCaseId(localYear(now, deps.rules), casePrefix),
          nonce: deps.store.newNonce(),
          at: now,
          customer: customerOf(message),
          subject: message.subject,
          language: decision.language,
        });
    const outcome = outcomeOf(decision.action);
    const reason = decision.action === 'review' ? decision.reviewReason : decision.action === 'suppress' ? decision.machineReason : null;

    if (decision.action !== 'suppress' && fromCustomer) {
      record.language = decision.language;
      record.identity = {
        nome: decision.identity.nome ?? record.identity.nome,
        nif: decision.identity.nif ?? record.identity.nif,
        nifValid: decision.identity.nif ? decision.identity.nifValid : record.identity.nifValid,
      };
      if (!record.customer.address) record.customer = customerOf(message);
    }
    if (decision.action === 'forward' || decision.action === 'ask_identity') {
      record.categories = union(record.categories, decision.routes.map((r) => r.category));
      record.routes = decision.routes.map((r) => ({ category: r.category, to: [...r.to], cc: [...r.cc] }));
      record.manifestation = decision.manifestation ?? record.manifestation;
      record.flags = union(record.flags, decision.flags);
      record.tips = union(record.tips, decision.tips);
      record.disclaimer = record.disclaimer || decision.disclaimer;
    }
    if (decision.action === 'forward' && decision.routes.some((r) => r.category === 'ombudsman') && !record.ombudsman) {
      const year = localYear(now, deps.rules);
      const seq = await deps.protocols.allocate(year, record.id);
      record.ombudsman = openOmbudsmanCase(
        { protocol: formatProtocol(deps.rules.ombudsman.protocolFormat, year, seq), manifestation: decision.manifestation, receivedAt: complaintArrival(record.openedAt, now) },
        deps.rules.ombudsman,
        deps.calendarFor(now),
      );
    }
    if (messageId && decision.action !== 'suppress' && fromCustomer && !record.thread.includes(messageId)) record.thread.push(messageId);

    const heldSources = decision.action === 'forward' ? await loadHeld(record.held.filter((h) => h !== data.hash)) : [];
    const mails = planMails(
      {
        case: caseView(record),
        decision,
        trigger: { hash: data.hash, message },
        held: heldSources,
        acknowledged: record.acknowledged,
        forwardedCategories: record.forwardedCategories,
      },
      composeContext(record.id, now),
    );

    if (decision.action === 'ask_identity') {
      if (!record.held.includes(data.hash)) record.held.push(data.hash);
      if (previousStatus !== 'held') record.heldSince = at;
    }
    if (decision.action === 'forward') {
      record.held = [];
      record.heldSince = null;
      record.forwardedCategories = union(record.forwardedCategories, decision.routes.map((r) => r.category));
      if (mails.some((m) => m.kind === 'acknowledgement')) record.acknowledged = true;
    }
    record.status = nextCaseStatus(previousStatus, decision.action);
    if (record.status !== previousStatus || (record.status === 'review' && decision.action === 'review')) record.statusReason = reason;
    record.updatedAt = at;
    record.messages.push({ hash: data.hash, messageId, at, outcome });
    for (const mail of mails) {
      record.mails.push({ step: mail.step, kind: mail.kind, messageId: mail.messageId, to: mail.to, cc: mail.cc });
      if (mail.kind !== 'forward' && !record.thread.includes(mail.messageId)) record.thread.push(mail.messageId);
    }

    const clinical = record.categories.includes('clinical');
    const events: TimelineEvent[] = [
      { kind: 'message', at, hash: data.hash, messageId, from: message.from?.address ?? '', outcome },
      {
        kind: 'decision',
        at,
        action: decision.action,
        categories: decision.routes.map((r) => r.category),
        // Evidence may quote the customer's words: withheld on clinical cases (policy §3).
        reasons: clinical ? [] : decision.reasons,
        missing: decision.action === 'suppress' ? [] : decision.missing,
        reason,
        by: null,
      },
      ...mails.map(
        (mail): TimelineEvent => mailEvent(mail, at, 'queued'),
      ),
    ];
    const messageRecord: MessageRecord = {
      hash: data.hash,
      messageId,
      caseId: record.id,
      outcome,
      reason,
      at,
      source: data.source,
      mails: mails.map((mail): SendJobData => ({ mail, receivedAt: data.receivedAt })),
    };
    return {
      commit: {
        message: messageRecord,
        case: { record, expectedVersion: found?.version ?? 0, previousStatus },
        events,
        indexMessageIds: [...(messageId ? [messageId] : []), ...mails.map((m) => m.messageId)],
      },
    };
  }

  async function planRelay(data: ClassifyJobData, message: ParsedMessage, stored: StoredCase, now: Date) {
    const at = now.toISOString();
    const record = structuredClone(stored.record);
    const messageId = normaliseMessageId(message.messageId);
    const mail = composeRelay(caseView(record), record.language, { hash: data.hash, message }, composeContext(record.id, now));
    const previousStatus = record.status;
    record.status = nextCaseStatus(previousStatus, 'relay');
    record.statusReason = null;
    record.updatedAt = at;
    record.messages.push({ hash: data.hash, messageId, at, outcome: 'replied' });
    record.mails.push({ step: mail.step, kind: mail.kind, messageId: mail.messageId, to: mail.to, cc: mail.cc });
    record.thread.push(mail.messageId);
    const messageRecord: MessageRecord = {
      hash: data.hash,
      messageId,
      caseId: record.id,
      outcome: 'replied',
      reason: null,
      at,
      source: data.source,
      mails: [{ mail, receivedAt: data.receivedAt } satisfies SendJobData],
    };
    return {
      commit: {
        message: messageRecord,
        case: { record, expectedVersion: stored.version, previousStatus },
        events: [
          { kind: 'message', at, hash: data.hash, messageId, from: message.from?.address ?? '', outcome: 'replied' },
          { kind: 'decision', at, action: 'relay', categories: [], reasons: [], missing: [], reason: null, by: null },
          mailEvent(mail, at, 'queued'),
        ] satisfies TimelineEvent[],
        // The team's answer stays out of the customer's thread index: a reply to it is not ours to match.
        indexMessageIds: [mail.messageId, ...(messageId ? [messageId] : [])],
      },
    };
  }

  async function loadHeld(hashes: string[]): Promise<SourceMessage[]> {
    const out: SourceMessage[] = [];
    for (const hash of hashes) {
      const raw = await deps.store.getRaw(hash);
      if (!raw) {
        log.warn({ hash }, 'held message no longer in Redis; forwarding without it');
        continue;
      }
      out.push({ hash, message: await parseMessage(raw) });
    }
    return out;
  }
}

/** What decide() is told about the case (core/types.ts CaseState). */
export function toCaseState(record: CaseRecord): CaseState {
  return {
    reference: record.id,
    identity: { ...record.identity },
    categories: [...record.categories],
    manifestation: record.manifestation,
    language: record.language,
    status: record.status,
  };
}

export function caseView(record: CaseRecord): CaseView {
  return {
    id: record.id,
    nonce: record.nonce,
    customer: record.customer,
    subject: record.subject,
    thread: record.thread,
    categories: record.categories,
    identity: record.identity,
    ombudsman: record.ombudsman
      ? { protocol: record.ombudsman.protocol, deadline: record.ombudsman.deadline, manifestation: record.ombudsman.manifestation }
      : null,
  };
}

/**
 * The case's own destinations (policy §7): the to and cc of every forward the case was sent on,
 * plus its current routes. Only they may answer through the case's reply address.
 */
function destinationsOf(record: CaseRecord): Array<{ category: string; to: string[]; cc: string[] }> {
  const forwards = record.mails.filter((m) => m.kind === 'forward').map((m) => ({ category: 'forward', to: m.to, cc: m.cc }));
  return [...record.routes, ...forwards];
}

/** Where replies to the customer go: Reply-To when given, else From (RFC 5322 §3.6.2). */
function customerOf(message: ParsedMessage): { address: string | null; name: string } {
  const reply = message.replyTo.find((a) => a.address);
  return { address: reply?.address || message.from?.address || null, name: message.from?.name ?? '' };
}

/** Every address the message was delivered to: To, Cc and the delivery headers MTAs add. */
function recipientsOf(message: ParsedMessage): string[] {
  const extra = ['delivered-to', 'x-original-to', 'envelope-to'].flatMap((h) => message.headers[h] ?? []);
  return [...message.to, ...message.cc].map((a) => a.address).concat(extra.map((v) => v.trim()));
}

function safeVerify(caseRef: string, token: string, secret: string): boolean {
  try {
    return verifyCaseToken(caseRef, token, secret);
  } catch {
    return false;
  }
}

function asReview(d: Decision, reason: string): Decision {
  return {
    action: 'review',
    reviewReason: reason,
    messageId: d.messageId,
    routes: [],
    disclaimer: d.disclaimer,
    tips: d.tips,
    flags: d.flags,
    identity: d.identity,
    missing: d.missing,
    manifestation: d.manifestation,
    language: d.language,
    reasons: d.reasons,
  };
}

function localYear(now: Date, rules: Rules): number {
  return Number(toLocalDate(now, rules.ombudsman.timezone).slice(0, 4));
}

function union<T>(a: readonly T[], b: readonly T[]): T[] {
  return [...new Set([...a, ...b])];
}

