import type { CaseStatus, ParsedMessage } from './types';

/**
 * Which case a message belongs to (policy §7): a message joins a case when its In-Reply-To or
 * References name a message of the case, or its subject carries the case reference
 * (`[#MO-2026-000123]`); otherwise it opens a new case. A reference that matches no case opens a
 * new case too. Pure: the store looks the keys up and hands the answers back to `resolveCase`.
 */

export interface CaseLookupKeys {
  /** Message-IDs to look up, most specific first: In-Reply-To, then References newest first. */
  messageIds: string[];
  /** Case ids cited in the subject (`MO-2026-000123`), in order of appearance. */
  caseIds: string[];
}

/** `MO`, 2026, 123 → `MO-2026-000123`. */
export function formatCaseId(prefix: string, year: number, seq: number): string {
  return `${prefix}-${year}-${String(seq).padStart(6, '0')}`;
}

/** `MO-2026-000123` → `[#MO-2026-000123]`, the public reference as written in subjects. */
export function formatCaseReference(caseId: string): string {
  return `[#${caseId}]`;
}

/**
 * A Message-ID in its canonical form `<local@domain>`: trimmed, angle brackets added when
 * missing, null when there is nothing usable. Case is kept (RFC 5322 §3.6.4 compares the
 * whole id), but the domain part is lower-cased because domains are case-insensitive.
 */
export function normaliseMessageId(value: string | null | undefined): string | null {
  if (!value) return null;
  const trimmed = value.trim();
  const inner = (/^<([^<>]*)>$/.exec(trimmed)?.[1] ?? trimmed).trim();
  if (inner === '' || /[\s<>]/.test(inner)) return null;
  const at = inner.lastIndexOf('@');
  return at > 0 ? `<${inner.slice(0, at)}@${inner.slice(at + 1).toLowerCase()}>` : `<${inner}>`;
}

/** Every `<…>` id in a header value (References may be folded, comma- or space-separated). */
export function splitMessageIds(value: string): string[] {
  const ids = value.match(/<[^<>\s]+>/g);
  if (ids) return ids;
  return value.split(/[\s,]+/).filter(Boolean);
}

/** Case ids cited as `[#PREFIX-YYYY-NNNNNN]` in a subject. */
export function findCaseIds(subject: string, prefix: string): string[] {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`\\[\\s*#\\s*(${escaped}-\\d{4}-\\d{6,})\\s*\\]`, 'gi');
  const found: string[] = [];
  for (const m of subject.matchAll(pattern)) {
    const id = (m[1] as string).toUpperCase();
    if (!found.includes(id)) found.push(id);
  }
  return found;
}

/** The keys under which the case of `message` may be found. */
export function caseLookupKeys(message: Pick<ParsedMessage, 'inReplyTo' | 'references' | 'subject'>, prefix: string): CaseLookupKeys {
  const ordered: string[] = [];
  const push = (raw: string): void => {
    const id = normaliseMessageId(raw);
    if (id && !ordered.includes(id)) ordered.push(id);
  };
  if (message.inReplyTo) splitMessageIds(message.inReplyTo).forEach(push);
  const references = message.references.flatMap(splitMessageIds);
  for (let i = references.length - 1; i >= 0; i--) push(references[i] as string);
  return { messageIds: ordered, caseIds: findCaseIds(message.subject, prefix) };
}

export interface CaseLookupResult {
  /** Message-ID → case id, for the ids the store knows. */
  byMessageId: ReadonlyMap<string, string>;
  /** Case ids from the subject that exist. */
  existingCaseIds: ReadonlySet<string>;
}

export interface CaseMatch {
  caseId: string;
  via: 'in-reply-to' | 'references' | 'subject';
}

/**
 * The case a message joins, or null when it opens a new one. Thread headers win over the subject
 * (a subject can be copied into an unrelated mail; a Message-ID cannot be guessed).
 */
export function resolveCase(keys: CaseLookupKeys, found: CaseLookupResult, inReplyTo: string | null): CaseMatch | null {
  const first = normaliseMessageId(inReplyTo ? splitMessageIds(inReplyTo)[0] : null);
  for (const id of keys.messageIds) {
    const caseId = found.byMessageId.get(id);
    if (caseId) return { caseId, via: id === first ? 'in-reply-to' : 'references' };
  }
  for (const id of keys.caseIds) {
    if (found.existingCaseIds.has(id)) return { caseId: id, via: 'subject' };
  }
  return null;
}

/**
 * The case's status after a message was decided (policy §7 states). A held case follows its
 * latest decision; a case whose routes already went out stays forwarded (or replied) when a
 * later message goes to review or is machine mail: that message's own outcome records it.
 */
export function nextCaseStatus(current: CaseStatus | null, action: 'forward' | 'ask_identity' | 'review' | 'suppress' | 'relay'): CaseStatus {
  if (action === 'relay') return 'replied';
  if (current === null) return outcomeOf(action);
  if (current === 'forwarded' || current === 'replied' || current === 'closed') {
    return action === 'forward' ? 'forwarded' : current;
  }
  // Machine mail on an open case leaves it as it was.
  return action === 'suppress' ? current : outcomeOf(action);
}

/** The outcome of one message (policy §7: every message ends in exactly one of these). */
export type MessageOutcome = 'forwarded' | 'replied' | 'held' | 'suppressed' | 'review';

export const MESSAGE_OUTCOMES: readonly MessageOutcome[] = ['forwarded', 'replied', 'held', 'suppressed', 'review'];

export function outcomeOf(action: 'forward' | 'ask_identity' | 'review' | 'suppress' | 'relay'): MessageOutcome {
  switch (action) {
    case 'forward':
      return 'forwarded';
    case 'ask_identity':
      return 'held';
    case 'review':
      return 'review';
    case 'suppress':
      return 'suppressed';
    case 'relay':
      return 'replied';
  }
}

export type AnswerVerdict = { action: 'relay' } | { action: 'review'; reason: string };

/**
 * A mail addressed to a case's tagged Reply-To is a team's answer (policy §7). It is relayed to the
 * customer only when the token is valid and it comes from the case's own destination (the to or
 * cc of a route the case was forwarded on); anything else goes to review: no case, a forged or
 * foreign token, another sender, a closed case (an old answer replayed), a clinical case (policy
 * §3: clinical answers never pass through the service).
 */
export function judgeTeamAnswer(input: {
  caseFound: boolean;
  tokenValid: boolean;
  from: string | null;
  routes: ReadonlyArray<{ category: string; to: readonly string[]; cc?: readonly string[] }>;
  categories: readonly string[];
  customer: string | null;
  status?: CaseStatus | null;
}): AnswerVerdict {
  if (!input.tokenValid) return { action: 'review', reason: 'addressed to a case reply address with an invalid token' };
  if (!input.caseFound) return { action: 'review', reason: 'addressed to the reply address of an unknown case' };
  if (input.categories.includes('clinical')) {
    return { action: 'review', reason: 'answer on a clinical case: the clinical team answers the customer directly' };
  }
  const from = (input.from ?? '').toLowerCase();
  const destinations = input.routes.flatMap((r) => [...r.to, ...(r.cc ?? [])].map((a) => a.toLowerCase()));
  if (!from || !destinations.includes(from)) {
    return { action: 'review', reason: "answer from an address that is not the case's destination" };
  }
  if (input.status === 'closed') return { action: 'review', reason: 'answer on a closed case' };
  if (!input.customer) return { action: 'review', reason: 'the case has no customer address to relay to' };
  return { action: 'relay' };
}

/** Every destination address of the routes (to and cc): the teams the service forwards to. */
export function teamAddresses(routes: Readonly<Record<string, { to: readonly string[]; cc: readonly string[] }>>): Set<string> {
  const out = new Set<string>();
  for (const route of Object.values(routes)) for (const a of [...route.to, ...route.cc]) out.add(a.toLowerCase());
  return out;
}
