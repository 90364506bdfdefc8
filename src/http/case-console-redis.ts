import type { Redis } from 'ioredis';
import { mailEvent, type CaseRecord, type CaseStore, type MailEvent, type MessageRecord, type TimelineEvent } from '../adapters/case-store';
import type { ProtocolCounter } from '../adapters/protocol-counter';
import { isOverdue, toLocalDate, type BusinessCalendar } from '../core/business-days';
import { nextCaseStatus } from '../core/case-matching';
import { planMails, type ComposeContext, type OutgoingMail, type SourceMessage } from '../core/compose';
import { isValidNif } from '../core/identity/nif';
import { OMBUDSMAN_TRANSITIONS, complaintArrival, openOmbudsmanCase } from '../core/ombudsman-states';
import { formatProtocol } from '../core/protocol';
import { buildReplyAddress } from '../core/reply-token';
import type { Category, Decision, ParsedMessage, Route, Rules } from '../core/types';
import type { Logger } from '../log';
import { caseView } from '../workers/classifier';
import { createOmbudsmanActions, type OmbudsmanActions } from '../workers/ombudsman';
import type {
  CaseConsole,
  CaseDetail,
  CaseFilter,
  CaseSummary,
  MarkComplexResult,
  OmbudsmanCase,
  OmbudsmanStateResult,
  ReleaseInput,
  ReleaseResult,
  TimelineEntry,
} from './console-port';

/**
 * The case console over the pipeline's case store (src/adapters/case-store.ts), reading and
 * writing the same Redis keys. Agent actions go through the store's compare-and-set update and
 * the pipeline's send queue, so released mail is sent, retried and marked like any other.
 *
 * Keys of its own, under the same prefix:
 * - `console:notes:{id}`    list of agent notes (JSON) shown in the case timeline
 * - `console:release:{id}`  a short lock while one agent releases a case
 *
 * Clinical confidentiality (policy §3): on a case with a `clinical` category no subject, message
 * text or evidence leaves this adapter.
 */
export interface RedisCaseConsoleDeps {
  redis: Redis;
  store: CaseStore;
  rules: Rules;
  parseMessage: (raw: Buffer) => Promise<ParsedMessage>;
  /** The pipeline's send queue (PipelineQueues.enqueueMails). */
  enqueueMails: (mails: readonly OutgoingMail[], receivedAt: string | null) => Promise<string[]>;
  /** Where a mail stands in the send queue: failed jobs and their reason (optional). */
  mailJobState?: (messageId: string) => Promise<{ state: string; failedReason: string | null } | null>;
  protocols: ProtocolCounter;
  calendarFor: (now: Date) => BusinessCalendar;
  inboxAddress: string;
  fromName: string;
  secret: string;
  logger: Logger;
  now?: () => Date;
  /** How many of the most recent cases a search or the ombudsman list looks through. */
  scanLimit?: number;
  /** The second instance's actions (state changes, complex deadline); built from the deps above when absent. */
  ombudsman?: OmbudsmanActions;
}

const CASE_ID = /^\[?\s*#?\s*([A-Za-z][A-Za-z0-9]*-\d{4}-\d{6,})\s*\]?$/;
const WITHHELD = 'clinical case: content withheld (policy §3)';
const RELEASE_LOCK_SECONDS = 60;

function isClinical(record: CaseRecord): boolean {
  return record.categories.includes('clinical');
}

export function summarise(record: CaseRecord): CaseSummary {
  return {
    reference: record.id,
    status: record.status,
    categories: [...record.categories],
    customer: record.customer.address ?? '',
    nome: record.identity.nome,
    nif: record.identity.nif,
    subject: isClinical(record) ? null : record.subject,
    openedAt: record.openedAt,
    updatedAt: record.updatedAt,
    messageCount: record.messages.length,
    reviewReason: record.status === 'review' ? record.statusReason : null,
  };
}

/** Past its deadline while the ombudsman still owes the answer (policy §4). */
function isOmbudsmanOverdue(o: NonNullable<CaseRecord['ombudsman']>, now: Date): boolean {
  return o.state !== 'answered' && o.state !== 'closed' && isOverdue(new Date(o.deadline), now);
}

function ombudsmanOf(record: CaseRecord, now: Date): OmbudsmanCase | null {
  const o = record.ombudsman;
  if (!o) return null;
  return {
    ...summarise(record),
    protocol: o.protocol,
    state: o.state,
    manifestation: o.manifestation,
    deadline: o.deadline,
    complex: o.complex !== null,
    complexReason: o.complex?.reason ?? null,
    overdue: isOmbudsmanOverdue(o, now),
  };
}

/** Overdue first, then the nearest deadline first. */
export function sortOmbudsman(cases: OmbudsmanCase[]): OmbudsmanCase[] {
  return [...cases].sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.deadline.localeCompare(b.deadline));
}

function matchesQuery(record: CaseRecord, query: string): boolean {
  const q = query.trim().toLowerCase();
  const digits = q.replace(/^pt/, '').replace(/[\s.-]/g, '');
  if (/^\d{9}$/.test(digits) && record.identity.nif === digits) return true;
  if (q.includes('@')) return (record.customer.address ?? '').toLowerCase().includes(q);
  return record.id.toLowerCase() === q || (record.customer.address ?? '').toLowerCase() === q;
}

export function createRedisCaseConsole(deps: RedisCaseConsoleDeps): CaseConsole {
  const { redis, store, rules } = deps;
  const log = deps.logger.child({ component: 'case-console' });
  const clock = deps.now ?? (() => new Date());
  const scanLimit = deps.scanLimit ?? 5000;
  const ombudsman =
    deps.ombudsman ??
    createOmbudsmanActions({
      store,
      enqueueMails: deps.enqueueMails,
      rules,
      calendarFor: deps.calendarFor,
      inboxAddress: deps.inboxAddress,
      fromName: deps.fromName,
      secret: deps.secret,
      logger: deps.logger,
      now: clock,
    });
  const k = (...parts: string[]): string => [store.prefix, ...parts].join(':');

  async function loadMany(ids: readonly string[]): Promise<CaseRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hget(k('case', id), 'json');
    const results = (await pipeline.exec()) ?? [];
    const out: CaseRecord[] = [];
    for (const [err, json] of results) {
      if (!err && typeof json === 'string') out.push(JSON.parse(json) as CaseRecord);
    }
    return out;
  }

  async function recentIds(status: CaseFilter['state'] | 'all', limit: number): Promise<string[]> {
    return store.listCases(status ?? 'all', { limit });
  }

  async function notes(id: string): Promise<TimelineEntry[]> {
    const items = await redis.lrange(k('console', 'notes', id), 0, -1);
    return items.map((item) => JSON.parse(item) as TimelineEntry);
  }

  async function messageEntry(record: CaseRecord, e: Extract<TimelineEvent, { kind: 'message' }>): Promise<TimelineEntry> {
    const base = { kind: 'message' as const, at: e.at, messageId: e.messageId, from: e.from };
    if (isClinical(record)) return { ...base, subject: null, text: null, withheld: WITHHELD, attachments: [] };
    const raw = await store.getRaw(e.hash);
    if (!raw) return { ...base, subject: null, text: null, withheld: 'the message is no longer kept (raw retention period)', attachments: [] };
    const parsed = await deps.parseMessage(raw);
    return {
      ...base,
      subject: parsed.subject,
      text: parsed.text,
      withheld: null,
      attachments: parsed.attachments.map((a) => a.filename ?? a.contentType),
    };
  }

  async function mailEntry(e: MailEvent): Promise<TimelineEntry> {
    let status: 'queued' | 'sent' | 'failed' = e.status === 'skipped' ? 'sent' : e.status;
    let detail = e.status === 'skipped' ? `not sent: ${e.detail ?? ''}` : e.detail;
    if (e.status === 'queued' && deps.mailJobState) {
      const job = await deps.mailJobState(e.messageId).catch(() => null);
      if (job?.state === 'failed') {
        status = 'failed';
        detail = job.failedReason;
      }
    }
    return { kind: 'mail', at: e.at, mailKind: e.mailKind, to: e.to, cc: e.cc, status, detail };
  }

  function withOmbudsman(record: CaseRecord): CaseDetail['ombudsman'] {
    const o = record.ombudsman;
    if (!o) return null;
    return {
      protocol: o.protocol,
      state: o.state,
      deadline: o.deadline,
      complex: o.complex !== null,
      complexReason: o.complex?.reason ?? null,
      overdue: isOmbudsmanOverdue(o, clock()),
      nextStates: [...OMBUDSMAN_TRANSITIONS[o.state]],
    };
  }

  async function getCase(reference: string): Promise<CaseDetail | null> {
    const id = CASE_ID.exec(reference.trim())?.[1]?.toUpperCase();
    if (!id) return null;
    const stored = await store.getCase(id);
    if (!stored) return null;
    const record = stored.record;
    const clinical = isClinical(record);
    const events = await store.events(id);
    const timeline: TimelineEntry[] = [];
    // One entry per mail: later events (sent, failed, skipped) update the queued one.
    const mailIndex = new Map<string, number>();
    const lastMailEvent = new Map<string, MailEvent>();
    for (const e of events) if (e.kind === 'mail') lastMailEvent.set(e.messageId, e);
    for (const e of events) {
      if (e.kind === 'message') timeline.push(await messageEntry(record, e));
      else if (e.kind === 'ombudsman') {
        const text =
          e.change === 'state'
            ? `ombudsman: ${e.from} → ${e.to}`
            : e.change === 'complex'
              ? `ombudsman: marked complex, deadline ${e.deadline}${e.reason ? `: ${e.reason}` : ''}`
              : `ombudsman: deadline reminder sent (deadline ${e.deadline})`;
        timeline.push({ kind: 'note', at: e.at, by: e.by ?? 'service', text });
      } else if (e.kind === 'mail') {
        if (mailIndex.has(e.messageId)) continue;
        const latest = lastMailEvent.get(e.messageId) ?? e;
        mailIndex.set(e.messageId, timeline.length);
        timeline.push(await mailEntry(latest));
      } else {
        timeline.push({
          kind: 'decision',
          at: e.at,
          action: e.action === 'relay' ? 'forward' : e.action,
          categories: e.categories,
          // Evidence may quote the customer's words (policy §3).
          reasons: clinical ? [] : [...e.reasons, ...(e.reason && !e.reasons.some((r) => r.includes(e.reason as string)) ? [e.reason] : [])],
          missing: e.missing,
          by: e.by,
        });
      }
    }
    timeline.push(...(await notes(id)));
    timeline.sort((a, b) => a.at.localeCompare(b.at));
    return {
      ...summarise(record),
      language: record.language,
      manifestation: record.manifestation,
      ombudsman: withOmbudsman(record),
      timeline,
    };
  }

  async function listOmbudsman(now: Date): Promise<OmbudsmanCase[]> {
    const records = await loadMany(await recentIds('all', scanLimit));
    return sortOmbudsman(records.map((r) => ombudsmanOf(r, now)).filter((c): c is OmbudsmanCase => c !== null));
  }

  let countsCache: { at: number; value: { review: number; ombudsmanOverdue: number } } | null = null;

  /** The routes a release takes: every category's configured route (policy §3). */
  function routesFor(categories: readonly Category[]): Route[] | string {
    const routes: Route[] = [];
    for (const category of categories) {
      const route = rules.routes[category];
      if (!route.enabled || route.to.length === 0) return `the ${category} route is turned off in the configuration`;
      routes.push({ category, to: [...route.to], cc: [...route.cc] });
    }
    return routes;
  }

  async function releaseReview(reference: string, input: ReleaseInput): Promise<ReleaseResult> {
    const id = CASE_ID.exec(reference.trim())?.[1]?.toUpperCase();
    const stored = id ? await store.getCase(id) : null;
    if (!id || !stored) return { ok: false, reason: 'not_found', message: `no case ${reference}` };
    if (stored.record.status !== 'review') {
      return { ok: false, reason: 'not_in_review', message: `case ${id} is ${stored.record.status}, not in review` };
    }
    if (!isValidNif(input.nif, rules.nif)) {
      return { ok: false, reason: 'invalid', message: `the NIF ${input.nif} does not start with an issued prefix (policy §2)` };
    }
    const routes = routesFor(input.categories);
    if (typeof routes === 'string') return { ok: false, reason: 'invalid', message: routes };

    const lockKey = k('console', 'release', id);
    const locked = await redis.set(lockKey, input.by, 'EX', RELEASE_LOCK_SECONDS, 'NX');
    if (locked !== 'OK') return { ok: false, reason: 'not_in_review', message: `case ${id} is being released by someone else` };
    try {
      return await releaseLocked(id, input, routes);
    } finally {
      await redis.del(lockKey).catch(() => undefined);
    }
  }

  async function releaseLocked(id: string, input: ReleaseInput, routes: Route[]): Promise<ReleaseResult> {
    const now = clock();
    const at = now.toISOString();
    const current = await store.getCase(id);
    if (!current || current.record.status !== 'review') {
      return { ok: false, reason: 'not_in_review', message: `case ${id} is no longer in review` };
    }
    const record = structuredClone(current.record);

    // The messages still waiting: held for identity, then those that went to review, oldest first.
    const pending = [...record.held, ...record.messages.filter((m) => m.outcome === 'review' || m.outcome === 'held').map((m) => m.hash)];
    const hashes = [...new Set(pending)];
    const sources: SourceMessage[] = [];
    for (const hash of hashes) {
      const raw = await store.getRaw(hash);
      if (raw) sources.push({ hash, message: await deps.parseMessage(raw) });
    }
    const trigger = sources.pop();
    if (!trigger) return { ok: false, reason: 'invalid', message: `case ${id} has no message left in Redis to forward` };

    const categories = input.categories;
    record.identity = { nome: input.nome, nif: input.nif, nifValid: true };
    record.categories = [...new Set([...record.categories, ...categories])];
    record.routes = routes;
    record.disclaimer = record.disclaimer || categories.includes('policy');
    if (categories.includes('ombudsman') && !record.ombudsman) {
      const year = Number(toLocalDate(now, rules.ombudsman.timezone).slice(0, 4));
      const seq = await deps.protocols.allocate(year, record.id);
      record.ombudsman = openOmbudsmanCase(
        { protocol: formatProtocol(rules.ombudsman.protocolFormat, year, seq), manifestation: record.manifestation, receivedAt: complaintArrival(record.openedAt, now) },
        rules.ombudsman,
        deps.calendarFor(now),
      );
    }
    const decision: Decision = {
      action: 'forward',
      messageId: trigger.message.messageId,
      routes,
      disclaimer: categories.includes('policy'),
      tips: categories.includes('technical') ? record.tips : [],
      // policy §6: multiple_charges only where a refund route remains.
      flags: categories.includes('refund') ? record.flags.filter((f) => f === 'multiple_charges') : [],
      identity: record.identity,
      missing: [],
      manifestation: categories.includes('ombudsman') ? record.manifestation : null,
      language: record.language,
      reasons: [`released by ${input.by}`],
    };
    const ctx: ComposeContext = {
      rules,
      inboxAddress: deps.inboxAddress,
      fromName: deps.fromName,
      caseReplyAddress: buildReplyAddress(deps.inboxAddress, record.id, deps.secret),
      now,
    };
    const mails = planMails(
      { case: caseView(record), decision, trigger, held: sources, acknowledged: record.acknowledged, forwardedCategories: record.forwardedCategories },
      ctx,
    );

    // Queue first: Message-IDs and job ids are derived from the case and step, so a retry after a
    // failure below queues the same mails again and the router's sent markers stop doubles.
    const jobIds = await deps.enqueueMails(mails, null);

    const released = new Set(hashes);
    const updated = await store.updateCase(
      id,
      (latest) => {
        if (latest.status !== 'review') return null;
        const next: CaseRecord = {
          ...structuredClone(latest),
          identity: record.identity,
          categories: [...new Set([...latest.categories, ...categories])],
          routes,
          disclaimer: record.disclaimer,
          ombudsman: latest.ombudsman ?? record.ombudsman,
          held: [],
          heldSince: null,
          forwardedCategories: [...new Set([...latest.forwardedCategories, ...categories])],
          acknowledged: latest.acknowledged || mails.some((m) => m.kind === 'acknowledgement'),
          status: nextCaseStatus('review', 'forward'),
          statusReason: null,
          updatedAt: at,
          messages: latest.messages.map((m) => (released.has(m.hash) ? { ...m, outcome: 'forwarded' as const } : m)),
        };
        for (const mail of mails) {
          next.mails.push({ step: mail.step, kind: mail.kind, messageId: mail.messageId, to: mail.to, cc: mail.cc });
          if (mail.kind !== 'forward' && !next.thread.includes(mail.messageId)) next.thread.push(mail.messageId);
        }
        return next;
      },
      () => [
        { kind: 'decision', at, action: 'release', categories: [...categories], reasons: [], missing: [], reason: null, by: input.by },
        ...mails.map(
          (mail): TimelineEvent => mailEvent(mail, at, 'queued'),
        ),
      ],
    );
    if (!updated || updated.status === 'review') {
      log.warn({ caseId: id, jobIds }, 'release queued mails but the case changed meanwhile');
      return { ok: false, reason: 'not_in_review', message: `case ${id} changed while it was being released` };
    }

    // The released messages leave the review list for the forwarded one (policy §7: each state listable).
    const multi = redis.multi();
    for (const hash of released) {
      multi.zrem(k('messages', 'review'), hash);
      multi.zrem(k('messages', 'held'), hash);
      multi.zadd(k('messages', 'forwarded'), String(now.getTime()), hash);
    }
    await multi.exec();
    for (const hash of released) {
      const json = await redis.get(k('msg', hash));
      if (!json) continue;
      const message = JSON.parse(json) as MessageRecord;
      const mine = hash === trigger.hash ? mails.map((mail) => ({ mail, receivedAt: null })) : [];
      await redis.set(k('msg', hash), JSON.stringify({ ...message, outcome: 'forwarded', reason: `released by ${input.by}`, mails: [...message.mails, ...mine] }), 'KEEPTTL');
    }
    countsCache = null;
    log.info({ msg: 'review case released', caseId: id, categories, jobIds, mails: mails.map((m) => m.kind) });
    return { ok: true, jobIds };
  }

  return {
    async listCases(filter) {
      const limit = filter.limit ?? 200;
      if (filter.query) {
        const byId = CASE_ID.exec(filter.query.trim())?.[1];
        if (byId) {
          const stored = await store.getCase(byId.toUpperCase());
          const ok = stored && (!filter.state || stored.record.status === filter.state) && (!filter.category || stored.record.categories.includes(filter.category));
          return ok ? [summarise(stored.record)] : [];
        }
      }
      const ids = await recentIds(filter.state, filter.query || filter.category ? scanLimit : limit);
      const records = await loadMany(ids);
      return records
        .filter((r) => (!filter.category || r.categories.includes(filter.category)) && (!filter.query || matchesQuery(r, filter.query)))
        .slice(0, limit)
        .map(summarise);
    },

    getCase,

    async listReview() {
      const ids = await recentIds('review', scanLimit);
      return (await loadMany(ids)).map(summarise).reverse();
    },

    listOmbudsman,

    releaseReview,

    async markComplex(reference, input): Promise<MarkComplexResult> {
      const result = await ombudsman.markComplex(reference, input);
      if (!result.ok) return result;
      countsCache = null;
      return { ok: true, deadline: result.ombudsman.deadline };
    },

    async changeOmbudsmanState(reference, input): Promise<OmbudsmanStateResult> {
      const result = await ombudsman.changeState(reference, input.state, input.by);
      if (!result.ok) return result;
      countsCache = null;
      return { ok: true, state: result.ombudsman.state, deadline: result.ombudsman.deadline };
    },

    async counts(now) {
      if (countsCache && now.getTime() - countsCache.at < 30_000) return countsCache.value;
      const [review, ombudsmanOverdue] = await Promise.all([redis.zcard(k('cases', 'review')), store.countOverdueOmbudsman(now)]);
      const value = { review, ombudsmanOverdue };
      countsCache = { at: now.getTime(), value };
      return value;
    },
  };
}
