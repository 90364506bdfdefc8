import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  caseLookupKeys,
  formatCaseId,
  formatCaseReference,
  normaliseMessageId,
  resolveCase,
  type CaseMatch,
  type MessageOutcome,
} from '../core/case-matching';
import type { Category, CaseStatus, Identity, Language, Manifestation, ParsedMessage, Route } from '../core/types';
import type { OmbudsmanCase, OmbudsmanState } from '../core/ombudsman-states';
import type { MailKind, OutgoingMail } from '../core/compose';

/**
 * Cases, message markers and send markers in Redis (policy §7, architecture habit 7).
 *
 * Keys, all under `{prefix}:` (one Redis, not Cluster: scripts build keys from the prefix):
 * - `raw:{hash}`               raw message bytes (SET NX, expires after the retention period)
 * - `msg:{hash}`               the processed marker and the message's outcome (JSON), set once
 * - `messages:{outcome}`       zset of message hashes per outcome (forwarded, held, review, …)
 * - `case:seq:{year}`          per-year counter of case numbers
 * - `case:{id}`                hash {version, json}: the case record, updated compare-and-set
 * - `case:{id}:events`         list of timeline entries (JSON)
 * - `cases:{status}`           zset of case ids per status, scored by when they entered it
 * - `cases:all`                zset of case ids by last activity
 * - `mid:{Message-ID}`         the case a Message-ID belongs to (customer's and ours)
 * - `sent:{sha256(Message-ID)}` the mail's delivery per recipient, written after each SMTP accept
 * - `cap:{day}:{address}`      automatic replies sent to an address that day (policy §5)
 * - `capres:{sha256(Message-ID)}` that mail already counted
 * - `idreq:{id}`               the case's last identity request {messageId, at} (policy §2: 24 h)
 * - `ombudsman:open`           zset of ombudsman cases still to answer (received, in analysis),
 *                              scored by their deadline: the reminder sweep and the overdue count
 */

export interface CaseMessageRef {
  hash: string;
  messageId: string | null;
  at: string;
  outcome: MessageOutcome;
}

export interface CaseRecord {
  id: string;
  reference: string;
  nonce: string;
  status: CaseStatus;
  statusReason: string | null;
  openedAt: string;
  updatedAt: string;
  customer: { address: string | null; name: string };
  subject: string;
  /** Message-IDs of the customer's thread (theirs and our replies to them), oldest first. */
  thread: string[];
  language: Language;
  identity: Identity;
  /** Every category the case has had (held or forwarded). */
  categories: Category[];
  /** The routes of the case's latest forward or held decision. */
  routes: Route[];
  manifestation: Manifestation | null;
  flags: string[];
  tips: string[];
  disclaimer: boolean;
  /** Messages held until identity is complete (their hashes), released with the forward. */
  held: string[];
  forwardedCategories: Category[];
  acknowledged: boolean;
  /** When the case was last put on hold (policy §2: review after the configured days). */
  heldSince: string | null;
  ombudsman: OmbudsmanCase | null;
  /** The deadline the ombudsman team was last reminded of (policy §4: once per deadline). */
  ombudsmanReminderFor?: string | null;
  messages: CaseMessageRef[];
  /** Every mail planned on the case (step → Message-ID), for the audit trail. */
  mails: Array<{ step: string; kind: MailKind; messageId: string; to: string[]; cc: string[] }>;
}

export interface StoredCase {
  record: CaseRecord;
  version: number;
}

/** The processed marker of a message: written once, with everything a retry needs to finish. */
export interface MessageRecord {
  hash: string;
  messageId: string | null;
  caseId: string | null;
  outcome: MessageOutcome;
  reason: string | null;
  at: string;
  source: string;
  /** The send jobs' data, so a retried or duplicate job can re-enqueue them (sent markers stop doubles). */
  mails: unknown[];
}

export type TimelineEvent =
  | { kind: 'message'; at: string; hash: string; messageId: string | null; from: string; outcome: MessageOutcome }
  | {
      kind: 'decision';
      at: string;
      action: 'forward' | 'ask_identity' | 'review' | 'suppress' | 'relay' | 'release';
      categories: Category[];
      reasons: string[];
      missing: Array<'nome' | 'nif'>;
      reason: string | null;
      by: string | null;
    }
  | {
      /** A change on the ombudsman case (policy §4): its state, a complex deadline, a reminder sent. */
      kind: 'ombudsman';
      at: string;
      change: 'state' | 'complex' | 'reminder';
      from: OmbudsmanState;
      to: OmbudsmanState;
      deadline: string;
      reason: string | null;
      by: string | null;
    }
  | {
      kind: 'mail';
      at: string;
      mailKind: MailKind;
      step: string;
      messageId: string;
      to: string[];
      cc: string[];
      status: 'queued' | 'sent' | 'failed' | 'skipped';
      detail: string | null;
    };

export type MailEvent = Extract<TimelineEvent, { kind: 'mail' }>;

/** The timeline entry for one of our mails at one step of its life (queued, sent, failed, skipped). */
export function mailEvent(
  mail: Pick<OutgoingMail, 'kind' | 'step' | 'messageId' | 'to' | 'cc'>,
  at: string,
  status: MailEvent['status'],
  detail: string | null = null,
): MailEvent {
  return {
    kind: 'mail',
    at,
    mailKind: mail.kind,
    step: mail.step,
    messageId: mail.messageId,
    to: mail.to,
    cc: mail.cc,
    status,
    detail: detail === null ? null : detail.slice(0, 300),
  };
}

export interface CommitInput {
  message: MessageRecord;
  /** The case after this message, with the version it was read at (0 for a new case); null: no case. */
  case: { record: CaseRecord; expectedVersion: number; previousStatus: CaseStatus | null } | null;
  events: TimelineEvent[];
  /** Message-IDs that now belong to the case (the message's own and our planned mails'). */
  indexMessageIds: string[];
}

export type CommitResult = { status: 'ok' } | { status: 'duplicate'; existing: MessageRecord } | { status: 'conflict' };

/** The sent marker of one outgoing mail, per recipient (a partial refusal is retried for the rest only). */
export interface DeliveryRecord {
  caseId: string;
  step: string;
  /** Recipients the server accepted. */
  delivered: string[];
  /** Recipients refused for good, with the reply. */
  refused: Array<{ address: string; reason: string }>;
  /** Every recipient is delivered or refused: the mail is never sent again. */
  complete: boolean;
  at: string;
  response: string;
}

export type ReserveResult = { ok: true } | { ok: false; reason: string };

export interface CaseStore {
  readonly prefix: string;
  /** Stores raw bytes under their hash if not there yet; true when this call stored them. */
  putRaw(hash: string, raw: Buffer, ttlSeconds: number): Promise<boolean>;
  getRaw(hash: string): Promise<Buffer | null>;
  /** A new case id from the per-year counter: `MO-2026-000123`. */
  allocateCaseId(year: number, casePrefix: string): Promise<string>;
  newNonce(): string;
  getCase(id: string): Promise<StoredCase | null>;
  /** The case a message belongs to by its thread headers or subject reference (policy §7). */
  findCase(message: Pick<ParsedMessage, 'inReplyTo' | 'references' | 'subject'>, casePrefix: string): Promise<(StoredCase & { match: CaseMatch }) | null>;
  getMessage(hash: string): Promise<MessageRecord | null>;
  /**
   * Atomically: the processed marker (SET NX semantics), the case (compare-and-set on its
   * version), its status sets, timeline and Message-ID index.
   */
  commit(input: CommitInput): Promise<CommitResult>;
  /** Compare-and-set update of a case outside message processing (sweeps, console actions). */
  updateCase(id: string, update: (record: CaseRecord) => CaseRecord | null, events?: (record: CaseRecord) => TimelineEvent[]): Promise<CaseRecord | null>;
  appendEvent(caseId: string, event: TimelineEvent): Promise<void>;
  /** Our mails sent outside message processing belong to the case too: a reply to them finds it. */
  indexMessageIds(caseId: string, messageIds: readonly string[]): Promise<void>;
  events(caseId: string): Promise<TimelineEvent[]>;
  /** Whether every recipient of the mail was accepted or refused for good (the sent marker). */
  isSent(messageId: string): Promise<boolean>;
  /** Which recipients of the mail the SMTP server accepted or refused for good so far. */
  getDelivery(messageId: string): Promise<DeliveryRecord | null>;
  /** Records the delivery state after an SMTP transaction (set after the server accepted). */
  putDelivery(messageId: string, record: DeliveryRecord): Promise<void>;
  /** Counts one automatic reply to `address` on `day` unless over `max`; a retried mail counts once. */
  reserveAutoReply(address: string, messageId: string, day: string, max: number): Promise<ReserveResult>;
  /** At most one identity request per case per `windowMs` (policy §2); a retried mail passes again. */
  reserveIdentityRequest(caseId: string, messageId: string, now: Date, windowMs: number): Promise<ReserveResult>;
  listCases(status: CaseStatus | 'all', options?: { offset?: number; limit?: number }): Promise<string[]>;
  listMessages(outcome: MessageOutcome, options?: { offset?: number; limit?: number }): Promise<string[]>;
  /** Held cases that entered `held` before `before`. */
  heldBefore(before: Date): Promise<string[]>;
  /** Ombudsman cases still to answer (received, in analysis), nearest deadline first. */
  openOmbudsman(): Promise<Array<{ id: string; deadline: Date }>>;
  /** How many of them are past their deadline at `now` (policy §4: overdue). */
  countOverdueOmbudsman(now: Date): Promise<number>;
}

const COMMIT_SCRIPT = `
local p = ARGV[1]
local msgKey = p .. ':msg:' .. ARGV[2]
local existing = redis.call('GET', msgKey)
if existing then return {'duplicate', existing} end
local caseId = ARGV[6]
if caseId ~= '' then
  local caseKey = p .. ':case:' .. caseId
  local current = redis.call('HGET', caseKey, 'version') or '0'
  if current ~= ARGV[7] then return {'conflict', current} end
  redis.call('HSET', caseKey, 'version', tostring(tonumber(ARGV[7]) + 1), 'json', ARGV[8])
  if ARGV[9] ~= ARGV[10] then
    if ARGV[9] ~= '' then redis.call('ZREM', p .. ':cases:' .. ARGV[9], caseId) end
    redis.call('ZADD', p .. ':cases:' .. ARGV[10], ARGV[5], caseId)
  end
  redis.call('ZADD', p .. ':cases:all', ARGV[5], caseId)
  local events = cjson.decode(ARGV[11])
  for _, e in ipairs(events) do redis.call('RPUSH', caseKey .. ':events', e) end
  if ARGV[12] == 'rem' then redis.call('ZREM', p .. ':ombudsman:open', caseId)
  elseif ARGV[12] ~= '' then redis.call('ZADD', p .. ':ombudsman:open', ARGV[12], caseId) end
  for i = 13, #ARGV do redis.call('SET', p .. ':mid:' .. ARGV[i], caseId) end
end
redis.call('SET', msgKey, ARGV[3])
redis.call('ZADD', p .. ':messages:' .. ARGV[4], ARGV[5], ARGV[2])
return {'ok', ''}
`;

const UPDATE_SCRIPT = `
local p = ARGV[1]
local caseId = ARGV[2]
local caseKey = p .. ':case:' .. caseId
local current = redis.call('HGET', caseKey, 'version') or '0'
if current ~= ARGV[3] then return 'conflict' end
redis.call('HSET', caseKey, 'version', tostring(tonumber(ARGV[3]) + 1), 'json', ARGV[4])
if ARGV[5] ~= ARGV[6] then
  redis.call('ZREM', p .. ':cases:' .. ARGV[5], caseId)
  redis.call('ZADD', p .. ':cases:' .. ARGV[6], ARGV[7], caseId)
end
redis.call('ZADD', p .. ':cases:all', ARGV[7], caseId)
local events = cjson.decode(ARGV[8])
for _, e in ipairs(events) do redis.call('RPUSH', caseKey .. ':events', e) end
if ARGV[9] == 'rem' then redis.call('ZREM', p .. ':ombudsman:open', caseId)
elseif ARGV[9] ~= '' then redis.call('ZADD', p .. ':ombudsman:open', ARGV[9], caseId) end
return 'ok'
`;

/** KEYS: counter, reservation. ARGV: max, ttl seconds. */
const RESERVE_CAP_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
return 1
`;

/** KEYS: idreq. ARGV: message id, now ms, window ms, ttl seconds. Returns 'ok' or the last request's time. */
const RESERVE_IDREQ_SCRIPT = `
local last = redis.call('GET', KEYS[1])
if last then
  local sep = string.find(last, ' ', 1, true)
  local at = tonumber(string.sub(last, 1, sep - 1))
  local id = string.sub(last, sep + 1)
  if id == ARGV[1] then return 'ok' end
  if tonumber(ARGV[2]) - at < tonumber(ARGV[3]) then return tostring(at) end
end
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[1], 'EX', ARGV[4])
return 'ok'
`;

const SENT_TTL_SECONDS = 180 * 86_400;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Opens nothing: the Redis connection is the caller's (a worker connection). */
export function createCaseStore(redis: Redis, prefix: string): CaseStore {
  const k = (...parts: string[]): string => [prefix, ...parts].join(':');

  async function getCase(id: string): Promise<StoredCase | null> {
    const fields = await redis.hgetall(k('case', id));
    if (!fields.json) return null;
    return { record: JSON.parse(fields.json) as CaseRecord, version: Number(fields.version ?? '0') };
  }

  const range = async (key: string, options: { offset?: number; limit?: number } = {}): Promise<string[]> => {
    const offset = options.offset ?? 0;
    const limit = options.limit ?? 100;
    return redis.zrevrange(key, offset, offset + limit - 1);
  };

  return {
    prefix,

    async putRaw(hash, raw, ttlSeconds) {
      const result = await redis.set(k('raw', hash), raw, 'EX', ttlSeconds, 'NX');
      return result === 'OK';
    },

    async getRaw(hash) {
      return redis.getBuffer(k('raw', hash));
    },

    async allocateCaseId(year, casePrefix) {
      const seq = await redis.incr(k('case', 'seq', String(year)));
      return formatCaseId(casePrefix, year, seq);
    },

    newNonce() {
      return randomBytes(4).toString('hex');
    },

    getCase,

    async findCase(message, casePrefix) {
      const keys = caseLookupKeys(message, casePrefix);
      const byMessageId = new Map<string, string>();
      if (keys.messageIds.length > 0) {
        const values = await redis.mget(...keys.messageIds.map((id) => k('mid', id)));
        keys.messageIds.forEach((id, i) => {
          const caseId = values[i];
          if (caseId) byMessageId.set(id, caseId);
        });
      }
      const existingCaseIds = new Set<string>();
      for (const id of keys.caseIds) {
        if ((await redis.exists(k('case', id))) === 1) existingCaseIds.add(id);
      }
      const match = resolveCase(keys, { byMessageId, existingCaseIds }, message.inReplyTo);
      if (!match) return null;
      const stored = await getCase(match.caseId);
      return stored ? { ...stored, match } : null;
    },

    async getMessage(hash) {
      const value = await redis.get(k('msg', hash));
      return value ? (JSON.parse(value) as MessageRecord) : null;
    },

    async commit(input) {
      const now = String(Date.parse(input.message.at) || Date.now());
      const c = input.case;
      const indexIds = [...new Set(input.indexMessageIds.map((id) => normaliseMessageId(id)).filter((id): id is string => !!id))];
      const result = (await redis.eval(
        COMMIT_SCRIPT,
        0,
        prefix,
        input.message.hash,
        JSON.stringify(input.message),
        input.message.outcome,
        now,
        c ? c.record.id : '',
        c ? String(c.expectedVersion) : '0',
        c ? JSON.stringify(c.record) : '',
        c?.previousStatus ?? '',
        c ? c.record.status : '',
        JSON.stringify(input.events.map((e) => JSON.stringify(e))),
        c ? ombudsmanIndexOp(c.record) : '',
        ...(c ? indexIds : []),
      )) as [string, string];
      if (result[0] === 'ok') return { status: 'ok' };
      if (result[0] === 'duplicate') return { status: 'duplicate', existing: JSON.parse(result[1]) as MessageRecord };
      return { status: 'conflict' };
    },

    async updateCase(id, update, events) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const stored = await getCase(id);
        if (!stored) return null;
        const next = update(stored.record);
        if (!next) return stored.record;
        const result = await redis.eval(
          UPDATE_SCRIPT,
          0,
          prefix,
          id,
          String(stored.version),
          JSON.stringify(next),
          stored.record.status,
          next.status,
          String(Date.parse(next.updatedAt) || Date.now()),
          JSON.stringify((events?.(next) ?? []).map((e) => JSON.stringify(e))),
          ombudsmanIndexOp(next),
        );
        if (result === 'ok') return next;
      }
      throw new Error(`case ${id}: too many concurrent updates`);
    },

    async appendEvent(caseId, event) {
      await redis.rpush(k('case', caseId, 'events'), JSON.stringify(event));
    },

    async indexMessageIds(caseId, messageIds) {
      const ids = [...new Set(messageIds.map((id) => normaliseMessageId(id)).filter((id): id is string => !!id))];
      if (ids.length === 0) return;
      const multi = redis.multi();
      for (const id of ids) multi.set(k('mid', id), caseId);
      await multi.exec();
    },

    async events(caseId) {
      const items = await redis.lrange(k('case', caseId, 'events'), 0, -1);
      return items.map((item) => JSON.parse(item) as TimelineEvent);
    },

    async isSent(messageId) {
      const value = await redis.get(k('sent', sha256(messageId)));
      return value !== null && (JSON.parse(value) as DeliveryRecord).complete;
    },

    async getDelivery(messageId) {
      const value = await redis.get(k('sent', sha256(messageId)));
      return value ? (JSON.parse(value) as DeliveryRecord) : null;
    },

    async putDelivery(messageId, record) {
      await redis.set(k('sent', sha256(messageId)), JSON.stringify({ messageId, ...record }), 'EX', SENT_TTL_SECONDS);
    },

    async reserveAutoReply(address, messageId, day, max) {
      const counter = k('cap', day, address.toLowerCase());
      const reservation = k('capres', sha256(messageId));
      const ok = await redis.eval(RESERVE_CAP_SCRIPT, 2, counter, reservation, String(max), String(2 * 86_400));
      return ok === 1 ? { ok: true } : { ok: false, reason: `daily limit of ${max} automatic replies to this address reached` };
    },

    async reserveIdentityRequest(caseId, messageId, now, windowMs) {
      const ttl = Math.max(1, Math.ceil(windowMs / 1000) + 86_400);
      const result = (await redis.eval(RESERVE_IDREQ_SCRIPT, 1, k('idreq', caseId), messageId, String(now.getTime()), String(windowMs), String(ttl))) as string;
      if (result === 'ok') return { ok: true };
      return { ok: false, reason: `an identity request already went out on this case at ${new Date(Number(result)).toISOString()}` };
    },

    listCases(status, options) {
      return range(k('cases', status), options);
    },

    listMessages(outcome, options) {
      return range(k('messages', outcome), options);
    },

    async heldBefore(before) {
      return redis.zrangebyscore(k('cases', 'held'), '-inf', String(before.getTime()));
    },

    async openOmbudsman() {
      const flat = await redis.zrangebyscore(k('ombudsman', 'open'), '-inf', '+inf', 'WITHSCORES');
      const out: Array<{ id: string; deadline: Date }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i] as string, deadline: new Date(Number(flat[i + 1])) });
      return out;
    },

    async countOverdueOmbudsman(now) {
      // isOverdue: now > deadline, so a deadline equal to now is not overdue yet.
      return redis.zcount(k('ombudsman', 'open'), '-inf', `(${now.getTime()}`);
    },
  };
}

/**
 * How a write moves the case in `ombudsman:open`: added with its deadline while the ombudsman
 * still owes an answer, removed once answered or closed, untouched for other cases.
 */
export function ombudsmanIndexOp(record: Pick<CaseRecord, 'ombudsman'>): string {
  const o = record.ombudsman;
  if (!o) return '';
  if (o.state === 'answered' || o.state === 'closed') return 'rem';
  return String(Date.parse(o.deadline));
}

/** A new case record for the first message of a case. */
export function newCaseRecord(input: {
  id: string;
  nonce: string;
  at: Date;
  customer: { address: string | null; name: string };
  subject: string;
  language: Language;
}): CaseRecord {
  const at = input.at.toISOString();
  return {
    id: input.id,
    reference: formatCaseReference(input.id),
    nonce: input.nonce,
    status: 'review',
    statusReason: null,
    openedAt: at,
    updatedAt: at,
    customer: input.customer,
    subject: input.subject,
    thread: [],
    language: input.language,
    identity: { nome: null, nif: null, nifValid: null },
    categories: [],
    routes: [],
    manifestation: null,
    flags: [],
    tips: [],
    disclaimer: false,
    held: [],
    forwardedCategories: [],
    acknowledged: false,
    heldSince: null,
    ombudsman: null,
    messages: [],
    mails: [],
  };
}
