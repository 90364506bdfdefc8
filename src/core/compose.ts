import { formatCaseReference } from './case-matching';
import type { OmbudsmanCase, OmbudsmanState } from './ombudsman-states';
import { fold } from './text';
import type { Category, Decision, Identity, Language, Manifestation, ParsedMessage, Route, Rules } from './types';

/**
 * The mail the service sends, composed as data (policy §2, §3): the identity request, the
 * acknowledgement, one forward per route and the relay of a team's answer. Pure: texts come from
 * the rules (config/texts.yaml), the clock is passed in, nothing is sent here.
 *
 * Every mail gets a Message-ID on our own domain derived from the case and the step, so a retried
 * job composes the same mail again and the router's sent marker stops a second send
 * (architecture habit 7). Replies to the customer never quote the customer's text: whatever the
 * topic, no clinical text travels back (policy §3).
 */

export type MailKind = 'identity_request' | 'acknowledgement' | 'forward' | 'relay' | 'ombudsman_notice' | 'ombudsman_reminder';

export interface MailAttachmentRef {
  /** The raw message's hash: the router loads the bytes from Redis and attaches them as message/rfc822. */
  hash: string;
  filename: string;
  /**
   * true: attach the files that message carries (a team's answer with a PDF), not the message
   * itself; attached messages (our forward sent back) and inline parts are left out.
   */
  files?: boolean;
}

export interface OutgoingMail {
  /**
   * Unique within the case: `ack`, `idreq-<h>`, `fwd-<category>-<h>`, `relay-<h>` (h: source message
   * hash); `ouv-<n>-<state>`, `ouv-complex`, `ouv-reminder-<deadline>` on ombudsman cases.
   */
  step: string;
  kind: MailKind;
  caseId: string;
  /** The route a forward serves, else null. */
  category: Category | null;
  messageId: string;
  from: { name: string; address: string };
  to: string[];
  cc: string[];
  replyTo: string | null;
  subject: string;
  inReplyTo: string | null;
  references: string[];
  /** Extra headers: Auto-Submitted, X-Loop, X-Triage-*. */
  headers: Record<string, string>;
  text: string;
  attachments: MailAttachmentRef[];
  /** The address whose daily automatic-reply count this mail uses (policy §5), null for forwards. */
  capAddress: string | null;
  /** The hash of the message that caused this mail (for the audit trail). */
  sourceHash: string;
}

/** What composing needs to know of the case. */
export interface CaseView {
  id: string;
  /** Random per case, fixed at creation: keeps Message-IDs unique across Redis resets. */
  nonce: string;
  customer: { address: string | null; name: string };
  /** Subject of the case's first customer message. */
  subject: string;
  /** Message-IDs of the customer's thread (their messages and our replies), oldest first. */
  thread: string[];
  /** Every category the case has had: the disclaimer and the neutral subject depend on all of them. */
  categories: Category[];
  identity: Identity;
  ombudsman: { protocol: string; deadline: string; manifestation: Manifestation | null } | null;
}

/** A customer message as the forward carries it. */
export interface SourceMessage {
  hash: string;
  message: ParsedMessage;
}

export interface ComposeContext {
  rules: Rules;
  /** The shared inbox (From of all our mail). */
  inboxAddress: string;
  fromName: string;
  /** The inbox plus-addressed with the case token (Reply-To of forwards, policy §7). */
  caseReplyAddress: string;
  now: Date;
}

export interface MailPlanInput {
  case: CaseView;
  decision: Decision;
  /** The message just decided. */
  trigger: SourceMessage;
  /** Earlier messages of the case held for identity, released with this decision (oldest first). */
  held: SourceMessage[];
  /** Whether the case already had its acknowledgement (one per case, policy §3). */
  acknowledged: boolean;
  /** Categories already forwarded on the case: a further message on them is a follow-up. */
  forwardedCategories: Category[];
}

/**
 * Every mail a decision causes: nothing for `review` and `suppress`; the identity request for
 * `ask_identity`; for `forward`, one forward per route plus, once per case, the acknowledgement.
 * Replies need the customer's address; without one only the forwards go.
 */
export function planMails(input: MailPlanInput, ctx: ComposeContext): OutgoingMail[] {
  const { decision } = input;
  switch (decision.action) {
    case 'review':
    case 'suppress':
      return [];
    case 'ask_identity':
      return input.case.customer.address ? [composeIdentityRequest(input.case, decision, input.trigger, ctx)] : [];
    case 'forward': {
      const releasing = input.held.length > 0;
      const sources = releasing ? [...input.held, input.trigger] : [input.trigger];
      const mails = decision.routes.map((route) =>
        composeForward(input.case, route, decision, sources, ctx, {
          followUp: input.forwardedCategories.includes(route.category),
          released: releasing,
          stepHash: input.trigger.hash,
        }),
      );
      if (!input.acknowledged && input.case.customer.address) {
        mails.push(composeAcknowledgement(input.case, decision, input.trigger, ctx));
      }
      return mails;
    }
  }
}

/** The identity request (policy §2): asks for exactly what is missing, says when the NIF given is invalid. */
export function composeIdentityRequest(view: CaseView, decision: Decision, trigger: SourceMessage, ctx: ComposeContext): OutgoingMail {
  const lang = decision.language;
  const t = texts(ctx.rules, lang);
  const reference = formatCaseReference(view.id);
  const lines: string[] = [fill(t.identity_marker, { reference }), '', greeting(t, view.identity.nome ?? decision.identity.nome), '', t.identity_intro];
  const missing = decision.missing.length > 0 ? decision.missing : (['nome', 'nif'] as const);
  if (missing.includes('nome')) lines.push(`- ${t.missing_nome}`);
  if (missing.includes('nif')) lines.push(`- ${t.missing_nif}`);
  if (missing.includes('nif') && decision.identity.nifValid === false) lines.push('', t.nif_invalid);
  lines.push('', t.identity_outro);
  const step = `idreq-${short(trigger.hash)}`;
  return customerReply(view, 'identity_request', step, lines, decision, { hash: trigger.hash, messageId: trigger.message.messageId }, ctx);
}

/** The acknowledgement (policy §3): reference, what happens next, tips, the ombudsman protocol and deadline. */
export function composeAcknowledgement(view: CaseView, decision: Decision, trigger: SourceMessage, ctx: ComposeContext): OutgoingMail {
  const lang = decision.language;
  const t = texts(ctx.rules, lang);
  const reference = formatCaseReference(view.id);
  const lines: string[] = [greeting(t, view.identity.nome ?? decision.identity.nome), '', fill(t.ack_intro, { reference }), ''];
  for (const route of decision.routes) lines.push(t[`next_${route.category}` as const]);
  if (view.ombudsman && decision.routes.some((r) => r.category === 'ombudsman')) {
    lines.push('', fill(t.ombudsman_protocol, { protocol: view.ombudsman.protocol, deadline: formatDeadline(view.ombudsman.deadline, lang, ctx.rules) }));
  }
  const tips = tipTexts(decision.tips, lang, ctx.rules);
  if (tips.length > 0) lines.push('', ...tips);
  lines.push('', fill(t.ack_outro, { reference }));
  return customerReply(view, 'acknowledgement', 'ack', lines, decision, { hash: trigger.hash, messageId: trigger.message.messageId }, ctx);
}

/**
 * The relay of a team's answer to the customer (policy §3, §7), on the customer's thread, with the
 * disclaimer on `policy` cases. Only the team's own new text is carried: what it quotes (our
 * forward with its triage summary, the customer's message) is cut, and none of our internal
 * `X-Triage-*` headers goes to the customer. Files the team attached (a PDF) go with it; an
 * attached message (our forward sent back) does not.
 */
export function composeRelay(view: CaseView, language: Language, answer: SourceMessage, ctx: ComposeContext): OutgoingMail {
  const t = texts(ctx.rules, language);
  const reference = formatCaseReference(view.id);
  const lines = [greeting(t, view.identity.nome), '', fill(t.relay_intro, { reference }), '', answerText(answer.message.text, ctx.rules)];
  const step = `relay-${short(answer.hash)}`;
  // The answer belongs to the team's thread, not the customer's: the relay answers the customer's own latest message.
  const mail = customerReply(view, 'relay', step, lines, { language, disclaimer: false }, { hash: answer.hash, messageId: null }, ctx, { internalHeaders: false });
  const files = answer.message.attachments.filter((a) => !a.isMessage);
  if (files.length > 0) mail.attachments = [{ hash: answer.hash, filename: '', files: true }];
  return mail;
}

/** A change of the ombudsman case the customer is told about (policy §4). */
export type OmbudsmanNoticeEvent = { type: 'state_changed'; to: OmbudsmanState; index: number } | { type: 'marked_complex' };

/**
 * The notice to the customer of a change on their ombudsman case (policy §4: "the customer is told
 * the protocol number, the deadline, and each change of state"): the new state (in analysis,
 * answered, closed), or the extended deadline of a complex case. On the customer's thread, in
 * their language; the reason an operator recorded stays internal.
 */
export function composeOmbudsmanNotice(view: CaseView, ombudsman: OmbudsmanCase, language: Language, event: OmbudsmanNoticeEvent, ctx: ComposeContext): OutgoingMail {
  const t = texts(ctx.rules, language);
  const deadline = formatDeadline(ombudsman.deadline, language, ctx.rules);
  const lines: string[] = [greeting(t, view.identity.nome), ''];
  let step: string;
  if (event.type === 'marked_complex') {
    lines.push(fill(t.ombudsman_complex, { protocol: ombudsman.protocol, deadline }));
    step = 'ouv-complex';
  } else {
    lines.push(fill(t.ombudsman_state_changed, { protocol: ombudsman.protocol, state: t[`ombudsman_state_${event.to}` as const] }));
    lines.push('', t[`ombudsman_note_${event.to}` as const]);
    if (event.to === 'received' || event.to === 'in_analysis') lines.push('', fill(t.ombudsman_deadline, { deadline }));
    step = `ouv-${event.index}-${event.to}`;
  }
  return customerReply(view, 'ombudsman_notice', step, lines, { language, disclaimer: false }, { hash: '', messageId: null }, ctx, { internalHeaders: true });
}

/**
 * The reminder to the ombudsman team that a case's deadline is near (policy §4), sent once per
 * deadline (a complex case's extended deadline gets its own). Internal: no customer text, and no
 * case reply address, so an answer to it comes back to the inbox and goes to review instead of
 * reaching the customer.
 */
export function composeOmbudsmanReminder(view: CaseView, ombudsman: OmbudsmanCase, route: Pick<Route, 'to' | 'cc'>, ctx: ComposeContext): OutgoingMail {
  const t = texts(ctx.rules, 'pt');
  const reference = formatCaseReference(view.id);
  const none = t.label_none;
  const deadline = formatDeadline(ombudsman.deadline, 'pt', ctx.rules);
  const lines = [
    fill(t.reminder_intro, { protocol: ombudsman.protocol, deadline }),
    '',
    `${t.label_reference}: ${reference}`,
    `${t.label_protocol}: ${ombudsman.protocol}`,
    `${t.label_deadline}: ${deadline}`,
    `${t.label_state}: ${t[`ombudsman_state_${ombudsman.state}` as const]}`,
    `${t.label_manifestation}: ${ombudsman.manifestation ?? none}`,
    `${t.label_complex}: ${ombudsman.complex ? oneLine(ombudsman.complex.reason) : none}`,
    `${t.label_customer}: ${formatAddress(view.customer.name, view.customer.address) || none}`,
  ];
  const step = `ouv-reminder-${ombudsman.deadline.replace(/\D/g, '').slice(0, 12)}`;
  return {
    step,
    kind: 'ombudsman_reminder',
    caseId: view.id,
    category: 'ombudsman',
    messageId: messageIdFor(view, step, ctx.rules),
    from: { name: ctx.fromName, address: ctx.inboxAddress },
    to: [...route.to],
    cc: [...route.cc],
    replyTo: null,
    subject: `${reference} ${t.reminder_subject}: ${ombudsman.protocol}`,
    inReplyTo: null,
    references: [],
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      'X-Loop': ctx.inboxAddress,
      'X-Triage-Case': view.id,
      'X-Triage-Category': 'ombudsman',
      'X-Triage-Step': step,
      'X-Triage-Protocol': ombudsman.protocol,
    },
    text: lines.join('\n') + '\n',
    attachments: [],
    capAddress: null,
    sourceHash: '',
  };
}

/**
 * The forward of a customer's request to a route's team (policy §3): a short triage summary on top
 * (reference, category, NOME, NIF, flags, evidence), then the customer's message, with the original
 * attached as message/rfc822 so its attachments arrive intact; `X-Triage-*` headers for mail rules.
 * Reply-To brings answers back to the service with the case token, except `clinical`: the clinical
 * team answers the customer directly and clinical text never passes back through the service.
 */
export function composeForward(
  view: CaseView,
  route: Route,
  decision: Decision,
  sources: SourceMessage[],
  ctx: ComposeContext,
  options: { followUp: boolean; released: boolean; stepHash: string },
): OutgoingMail {
  const t = texts(ctx.rules, 'pt');
  const reference = formatCaseReference(view.id);
  const clinical = route.category === 'clinical';
  const identity = mergedIdentity(view.identity, decision.identity);
  const none = t.label_none;
  const lines: string[] = [clinical ? t.forward_intro_clinical : t.forward_intro];
  if (options.followUp) lines.push(t.forward_followup);
  else if (options.released) lines.push(t.forward_released);
  lines.push(
    '',
    `${t.label_reference}: ${reference}`,
    `${t.label_category}: ${t[`category_${route.category}` as const]} (${route.category})`,
    `${t.label_nome}: ${identity.nome ?? none}`,
    `${t.label_nif}: ${identity.nif ? `${identity.nif}${identity.nifValid === false ? ` (${t.label_nif_invalid})` : ''}` : none}`,
    `${t.label_flags}: ${decision.flags.length > 0 ? decision.flags.join(', ') : none}`,
  );
  if (decision.tips.length > 0) lines.push(`${t.label_tips}: ${decision.tips.join(', ')}`);
  if (route.category === 'ombudsman' && view.ombudsman) {
    lines.push(
      `${t.label_protocol}: ${view.ombudsman.protocol}`,
      `${t.label_deadline}: ${formatDeadline(view.ombudsman.deadline, 'pt', ctx.rules)}`,
      `${t.label_manifestation}: ${view.ombudsman.manifestation ?? none}`,
    );
  }
  lines.push(`${t.label_customer}: ${formatAddress(view.customer.name, view.customer.address) || none}`, `${t.label_language}: ${decision.language}`);
  if (decision.reasons.length > 0) {
    lines.push(`${t.label_evidence}:`);
    for (const reason of decision.reasons) lines.push(`- ${oneLine(reason)}`);
  }
  const attachments: MailAttachmentRef[] = [];
  sources.forEach((source, i) => {
    const m = source.message;
    lines.push('', `----- ${t.label_message}${sources.length > 1 ? ` (${i + 1}/${sources.length})` : ''} -----`);
    if (m.from) lines.push(`From: ${formatAddress(m.from.name, m.from.address)}`);
    if (m.date) lines.push(`Date: ${m.date}`);
    lines.push(`Subject: ${oneLine(m.subject)}`, '', m.text.trim());
    const files = m.attachments.map((a) => a.filename ?? a.contentType);
    if (files.length > 0) lines.push('', `${t.label_attachments}: ${files.join(', ')}`);
    attachments.push({ hash: source.hash, filename: `${view.id}-${i + 1}.eml` });
  });
  lines.push('', t.label_original);

  const step = `fwd-${route.category}-${short(options.stepHash)}`;
  const base = baseSubject(view.subject) || t.neutral_subject;
  const label = t[`category_${route.category}` as const];
  const headers: Record<string, string> = {
    // RFC 3834 §5: a forward we generate is `auto-generated` (policy §5: never taken for customer mail).
    'Auto-Submitted': 'auto-generated',
    'X-Auto-Response-Suppress': 'All',
    'X-Loop': ctx.inboxAddress,
    'X-Triage-Case': view.id,
    'X-Triage-Category': route.category,
    'X-Triage-Categories': decision.routes.map((r) => r.category).join(', '),
    'X-Triage-Step': step,
    'X-Triage-Language': decision.language,
    'X-Triage-Identity': identity.nome && identity.nif && identity.nifValid ? 'complete' : 'incomplete',
  };
  if (decision.flags.length > 0) headers['X-Triage-Flags'] = decision.flags.join(', ');
  if (options.followUp) headers['X-Triage-Follow-Up'] = 'yes';
  if (route.category === 'ombudsman' && view.ombudsman) headers['X-Triage-Protocol'] = view.ombudsman.protocol;

  return {
    step,
    kind: 'forward',
    caseId: view.id,
    category: route.category,
    messageId: messageIdFor(view, step, ctx.rules),
    from: { name: ctx.fromName, address: ctx.inboxAddress },
    to: [...route.to],
    cc: [...route.cc],
    replyTo: clinical ? view.customer.address : ctx.caseReplyAddress,
    subject: `${reference} ${label}: ${base}`,
    inReplyTo: null,
    references: [],
    headers,
    text: lines.join('\n') + '\n',
    attachments,
    capAddress: null,
    sourceHash: options.stepHash,
  };
}

/** `<MO-2026-000123.ack.1a2b3c4d@triage.medico-online.pt>`: our domain, derived from case and step. */
export function messageIdFor(view: Pick<CaseView, 'id' | 'nonce'>, step: string, rules: Rules): string {
  const domain = rules.self.messageIdDomains[0] as string;
  return `<${view.id}.${step}.${view.nonce}@${domain.toLowerCase()}>`;
}

/** The subject without reply/forward prefixes and case references: `Re: Fwd: [#MO-…] Fatura` → `Fatura`. */
export function baseSubject(subject: string): string {
  let s = subject.replace(/\[\s*#[^\]]*\]/g, ' ').replace(/\s+/g, ' ').trim();
  const prefix = /^(re|res|fw|fwd|enc|tr|aw|wg|rv|ref)\s*(\[\d+\])?\s*:\s*/i;
  while (prefix.test(s)) s = s.replace(prefix, '').trim();
  return s;
}

/**
 * A team's answer without what it quotes: cut at the first attribution or forward line, an
 * Outlook header block or our own summary; `>` lines are dropped.
 */
export function answerText(text: string, rules: Rules): string {
  const stops = [...rules.authorship.attributionLines, ...rules.authorship.forwardMarkers, ...rules.authorship.headerBlockFields].map(
    (p) => new RegExp(p, 'u'),
  );
  // Our own forward quoted without any marker: its first line, or its summary's reference line.
  const own = ownForwardLines(rules);
  const out: string[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const folded = fold(line.trim());
    if (/^-{2,}\s*(original message|mensagem original)/.test(folded)) break;
    if (stops.some((re) => re.test(folded))) break;
    if (folded !== '' && own.some((o) => folded.startsWith(o))) break;
    if (line.trimStart().startsWith('>')) continue;
    out.push(line);
  }
  return out.join('\n').trim();
}

/** How our forwards start (any language), folded: an answer is cut where it quotes one. */
function ownForwardLines(rules: Rules): string[] {
  const out = new Set<string>();
  for (const t of Object.values(rules.texts)) {
    out.add(fold(t.forward_intro.trim()));
    out.add(fold(t.forward_intro_clinical.trim()));
    out.add(fold(`${t.label_reference}: [#`));
  }
  return [...out].filter((line) => line.length >= 8);
}

/** Replaces `{{name}}` placeholders; unknown ones stay as written so a test can spot them. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

function customerReply(
  view: CaseView,
  kind: MailKind,
  step: string,
  body: string[],
  decision: Pick<Decision, 'language' | 'disclaimer'>,
  /** The message this mail answers: a customer's (its id joins the thread), else messageId null. */
  trigger: { hash: string; messageId: string | null },
  ctx: ComposeContext,
  /** internalHeaders false: no `X-Triage-*` header (a relayed answer carries nothing of ours but the thread). */
  options: { internalHeaders: boolean } = { internalHeaders: true },
): OutgoingMail {
  const t = texts(ctx.rules, decision.language);
  const reference = formatCaseReference(view.id);
  const lines = [...body];
  // Policy §3: the disclaimer goes verbatim on every reply of a case with a `policy` route.
  if (decision.disclaimer || view.categories.includes('policy')) lines.push('', ctx.rules.disclaimer);
  lines.push('', t.signature, fill(t.reference_line, { reference }));
  // A clinical case's subject may itself be clinical text: replies use a neutral one (policy §3).
  const base = view.categories.includes('clinical') ? t.neutral_subject : baseSubject(view.subject) || t.neutral_subject;
  const triggerId = trigger.messageId;
  const thread = capReferences([...view.thread, ...(triggerId && !view.thread.includes(triggerId) ? [triggerId] : [])]);
  const headers: Record<string, string> = {
    // RFC 3834 §5: our replies are `auto-replied`, so they are never taken for customer mail.
    'Auto-Submitted': 'auto-replied',
    'X-Auto-Response-Suppress': 'All',
    'X-Loop': ctx.inboxAddress,
  };
  if (options.internalHeaders) Object.assign(headers, { 'X-Triage-Case': view.id, 'X-Triage-Kind': kind, 'X-Triage-Step': step });
  return {
    step,
    kind,
    caseId: view.id,
    category: null,
    messageId: messageIdFor(view, step, ctx.rules),
    from: { name: ctx.fromName, address: ctx.inboxAddress },
    to: [view.customer.address as string],
    cc: [],
    // Answers to our replies come back to the inbox, where thread headers or the subject find the case.
    replyTo: ctx.inboxAddress,
    subject: `Re: ${base} ${reference}`,
    inReplyTo: triggerId ?? latestCustomerMessage(thread, ctx.rules) ?? null,
    references: thread,
    headers,
    text: lines.join('\n') + '\n',
    attachments: [],
    // Only automatic replies to incoming mail count toward the daily cap: a relayed answer was
    // written by a person, an ombudsman notice follows an operator's action.
    capAddress: kind === 'relay' || kind === 'ombudsman_notice' ? null : view.customer.address,
    sourceHash: trigger.hash,
  };
}

/**
 * The customer's own latest message on the thread (not on our Message-ID domain): what a reply
 * that no customer message triggered answers. Our own latest mail when the customer's ids are gone.
 */
function latestCustomerMessage(thread: readonly string[], rules: Rules): string | undefined {
  const ours = rules.self.messageIdDomains.map((d) => `@${d.toLowerCase()}>`);
  const theirs = thread.filter((id) => !ours.some((suffix) => id.toLowerCase().endsWith(suffix)));
  return theirs[theirs.length - 1] ?? thread[thread.length - 1];
}

/** RFC 5322 References grow with the thread: keep the root and the latest ids. */
function capReferences(ids: string[], max = 20): string[] {
  const unique = ids.filter((id, i) => ids.indexOf(id) === i);
  if (unique.length <= max) return unique;
  return [unique[0] as string, ...unique.slice(unique.length - (max - 1))];
}

function greeting(t: Rules['texts']['pt'], nome: string | null): string {
  return nome ? fill(t.greeting_named, { nome }) : t.greeting;
}

function tipTexts(tips: string[], lang: Language, rules: Rules): string[] {
  const available = rules.tips as Record<string, { text: Partial<Record<Language, string>> } | undefined>;
  return tips.flatMap((tip) => {
    const text = available[tip]?.text[lang] ?? available[tip]?.text.pt;
    return text ? [text] : [];
  });
}

function texts(rules: Rules, lang: Language): Rules['texts']['pt'] {
  return rules.texts[lang] ?? rules.texts.pt;
}

function mergedIdentity(known: Identity, latest: Identity): Identity {
  return {
    nome: latest.nome ?? known.nome,
    nif: latest.nif ?? known.nif,
    nifValid: latest.nif ? latest.nifValid : known.nifValid,
  };
}

function formatDeadline(iso: string, lang: Language, rules: Rules): string {
  return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'pt-PT', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: rules.ombudsman.timezone,
  }).format(new Date(iso));
}

function formatAddress(name: string, address: string | null): string {
  if (!address) return name;
  return name ? `${name} <${address}>` : address;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function short(hash: string): string {
  return hash.slice(0, 12);
}
