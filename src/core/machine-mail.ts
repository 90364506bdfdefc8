import type { ParsedMessage } from './message';
import type { Rules } from './types';
import { fold } from './text';

/**
 * Machine mail (policy §5): auto-replies, delivery failures, read receipts, abuse and feedback
 * reports, mailing lists and newsletters, challenge-response checks, no-reply notifications and
 * our own mail coming back. Any one signal marks the message; the reason is short evidence for
 * the agent ("Auto-Submitted: auto-replied", "multipart/report (delivery-status)").
 *
 * Only the outer message is judged: headers of the message itself, its top-level media type, its
 * subject and the first lines of its own text. Attached or quoted messages never count, so a
 * person who forwards a bounce with their own request is a customer.
 */
export type MachineVerdict = { machine: true; reason: string } | { machine: false };

const NOT_MACHINE: MachineVerdict = { machine: false };

/** Top-level media types that only report-generating software sends. */
const REPORT_TYPES = new Set(['message/delivery-status', 'message/disposition-notification', 'message/feedback-report']);

/** A marker header explicitly switched off ("X-Autoreply: no") does not count. */
const OFF_VALUES = new Set(['no', 'false', '0', 'off']);

export function detectMachineMail(message: ParsedMessage, rules: Rules): MachineVerdict {
  const compiled = compile(rules);
  const reason =
    ownMail(message, compiled) ??
    report(message) ??
    autoSubmitted(message) ??
    markerHeader(message, compiled) ??
    headerRule(message, compiled) ??
    precedence(message, compiled) ??
    nullReturnPath(message) ??
    machineSender(message, compiled) ??
    subjectMarker(message, compiled) ??
    bodyMarker(message, compiled);
  return reason === null ? NOT_MACHINE : { machine: true, reason };
}

/** Convenience predicate over {@link detectMachineMail}. */
export function isMachineMail(message: ParsedMessage, rules: Rules): boolean {
  return detectMachineMail(message, rules).machine;
}

// ---------------------------------------------------------------------------------------------
// Signals, strongest first. Each returns the evidence or null.

function ownMail(message: ParsedMessage, c: Compiled): string | null {
  const domain = messageIdDomain(message.messageId);
  if (domain !== null && c.selfDomains.has(domain)) return `our own Message-ID (@${domain})`;
  for (const key of Object.keys(message.headers)) {
    if (c.selfHeaders.some((name) => (name.endsWith('*') ? key.startsWith(name.slice(0, -1)) : key === name))) {
      return `our own ${displayName(key)} header`;
    }
  }
  if (c.inboxAddresses.size > 0) {
    for (const value of headerValues(message, 'x-loop')) {
      for (const address of addressesIn(value)) {
        if (c.inboxAddresses.has(address)) return `X-Loop: ${address}`;
      }
    }
    const from = message.from?.address ?? '';
    if (from && c.inboxAddresses.has(from)) return `sent from our own inbox ${from}`;
  }
  // X-Loop names the mailbox that already handled the message: naming the very address it was
  // delivered to (our inbox) means it has come round again, whether or not the inbox is configured.
  const recipients = new Set([...message.to, ...message.cc].map((a) => a.address).filter(Boolean));
  for (const value of headerValues(message, 'x-loop')) {
    for (const address of addressesIn(value)) {
      if (recipients.has(address)) return `X-Loop: ${address} (the address it was sent to)`;
    }
  }
  return null;
}

function report(message: ParsedMessage): string | null {
  if (message.contentType === 'multipart/report') return `multipart/report (${message.reportType ?? 'no report-type'})`;
  if (REPORT_TYPES.has(message.contentType)) return message.contentType;
  return null;
}

function autoSubmitted(message: ParsedMessage): string | null {
  for (const raw of headerValues(message, 'auto-submitted')) {
    const keyword = fold(stripComments(raw)).split(';')[0]!.trim();
    if (keyword !== '' && keyword !== 'no') return `Auto-Submitted: ${clip(raw)}`;
  }
  return null;
}

function markerHeader(message: ParsedMessage, c: Compiled): string | null {
  for (const name of c.markerHeaders) {
    for (const raw of headerValues(message, name)) {
      if (!OFF_VALUES.has(fold(stripComments(raw)).trim())) return `${displayName(name)} header`;
    }
  }
  return null;
}

function headerRule(message: ParsedMessage, c: Compiled): string | null {
  for (const rule of c.headerRules) {
    const matches = rule.headers.every(([name, re]) =>
      headerValues(message, name).some((raw) => re === null || re.test(fold(raw).trim())),
    );
    if (matches) return rule.label;
  }
  return null;
}

function precedence(message: ParsedMessage, c: Compiled): string | null {
  for (const raw of headerValues(message, 'precedence')) {
    const value = fold(stripComments(raw)).trim();
    if (c.precedenceValues.has(value)) return `Precedence: ${value}`;
  }
  return null;
}

function nullReturnPath(message: ParsedMessage): string | null {
  for (const raw of headerValues(message, 'return-path')) {
    const value = stripComments(raw).trim();
    // The null sender, also as some MTAs write it when delivering a bounce.
    if (/^<\s*>$/.test(value)) return 'Return-Path: <>';
    if (/^<?mailer-daemon>?$/i.test(value)) return `Return-Path: ${value}`;
  }
  return null;
}

function machineSender(message: ParsedMessage, c: Compiled): string | null {
  const address = message.from?.address ?? '';
  if (address) {
    const at = address.lastIndexOf('@');
    const localPart = fold(at >= 0 ? address.slice(0, at) : address);
    if (c.senderLocalParts.some((re) => re.test(localPart))) return `sender ${address}`;
    return null;
  }
  // No address mailparser could read ("MAILER-DAEMON (Mail Delivery System)", "MAILER-DAEMON <>"):
  // look at the bare words of the raw From header.
  for (const raw of headerValues(message, 'from')) {
    for (const word of fold(raw).split(/[\s<>()"',;]+/)) {
      const localPart = word.includes('@') ? word.slice(0, word.lastIndexOf('@')) : word;
      if (localPart && c.senderLocalParts.some((re) => re.test(localPart))) return `sender ${clip(raw.trim())}`;
    }
  }
  return null;
}

function subjectMarker(message: ParsedMessage, c: Compiled): string | null {
  const subject = normaliseLine(message.subject.slice(0, MAX_LINE_CHARS));
  if (!subject) return null;
  // "[Auto-Reply] …", "(Resposta automática) …": the marker may sit inside a leading bracket.
  const candidates = /^[[(]/.test(subject) ? [subject, subject.slice(1).trimStart()] : [subject];
  for (const text of candidates) {
    if (c.subjectPrefixes.some((re) => re.test(text))) return `subject "${clip(message.subject.trim(), 60)}"`;
  }
  return null;
}

function bodyMarker(message: ParsedMessage, c: Compiled): string | null {
  const subject = normaliseLine(message.subject.slice(0, MAX_LINE_CHARS));
  if (c.forwardSubjects.some((re) => re.test(subject))) return null;
  const lines = firstOwnLines(message.text, c);
  // Each line alone, then each line joined with the next (a sentence wrapped over two lines).
  const candidates = lines.slice();
  for (let i = 0; i + 1 < lines.length; i++) candidates.push(`${lines[i]} ${lines[i + 1]}`);
  for (const text of candidates) {
    for (const re of c.bodyMarkers) {
      const match = re.exec(text);
      if (match) return `body "${clip(match[0].replace(/^\W+/, ''), 60)}"`;
    }
  }
  return null;
}

/**
 * The first non-empty lines of the sender's own text, folded: reading stops at the first line
 * that opens a quoted or forwarded message, so the text of someone else never counts.
 */
function firstOwnLines(text: string, c: Compiled): string[] {
  const out: string[] = [];
  // Only the head of the body is ever looked at, however long the message is.
  const head = text.length > MAX_HEAD_CHARS ? text.slice(0, MAX_HEAD_CHARS) : text;
  for (const raw of head.split('\n')) {
    const line = normaliseLine(raw.length > MAX_LINE_CHARS ? raw.slice(0, MAX_LINE_CHARS) : raw);
    if (!line) continue;
    if (QUOTE_OR_SEPARATOR.test(line) || c.quoteStarts.some((re) => re.test(line))) break;
    out.push(line);
    if (out.length >= c.bodyMarkerLines) break;
  }
  return out;
}

/** A quoted line ("> …") or a separator line ("-----Original Message-----", "________"). */
const QUOTE_OR_SEPARATOR = /^(>|-{4,}|_{4,}|={4,})/;
const MAX_HEAD_CHARS = 16_000;
const MAX_LINE_CHARS = 1_000;

// ---------------------------------------------------------------------------------------------
// Rules compiled once per rules object.

interface Compiled {
  selfDomains: Set<string>;
  inboxAddresses: Set<string>;
  selfHeaders: string[];
  senderLocalParts: RegExp[];
  precedenceValues: Set<string>;
  markerHeaders: string[];
  headerRules: { label: string; headers: [string, RegExp | null][] }[];
  subjectPrefixes: RegExp[];
  bodyMarkers: RegExp[];
  bodyMarkerLines: number;
  quoteStarts: RegExp[];
  forwardSubjects: RegExp[];
}

const cache = new WeakMap<Rules, Compiled>();

function compile(rules: Rules): Compiled {
  let compiled = cache.get(rules);
  if (compiled) return compiled;
  const m = rules.machineMail;
  const regexes = (sources: readonly string[]): RegExp[] => sources.map((s) => new RegExp(s, 'u'));
  compiled = {
    selfDomains: new Set(rules.self.messageIdDomains.map((d) => d.trim().replace(/^@/, '').toLowerCase())),
    inboxAddresses: new Set(rules.self.inboxAddresses.map((a) => a.trim().toLowerCase())),
    selfHeaders: m.selfHeaders.map(headerKey),
    senderLocalParts: regexes(m.senderLocalParts),
    precedenceValues: new Set(m.precedenceValues.map((v) => fold(v).trim())),
    markerHeaders: m.markerHeaders.map(headerKey),
    headerRules: m.headerRules.map((rule) => ({
      label: rule.label,
      headers: Object.entries(rule.headers).map(
        ([name, source]): [string, RegExp | null] => [headerKey(name), source ? new RegExp(source, 'u') : null],
      ),
    })),
    subjectPrefixes: regexes(m.subjectPrefixes),
    bodyMarkers: regexes(m.bodyMarkers),
    bodyMarkerLines: m.bodyMarkerLines,
    quoteStarts: regexes([
      ...rules.authorship.attributionLines,
      ...rules.authorship.forwardMarkers,
      ...rules.authorship.headerBlockFields,
      ...m.quoteStarts,
    ]),
    forwardSubjects: regexes(m.forwardSubjects),
  };
  cache.set(rules, compiled);
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function headerValues(message: ParsedMessage, key: string): string[] {
  return message.headers[key] ?? [];
}

function headerKey(name: string): string {
  return name.trim().toLowerCase();
}

/** "x-ms-exchange-message-is-ndr" → "X-Ms-Exchange-Message-Is-Ndr", for the reason text. */
function displayName(key: string): string {
  return key.replace(/(^|-)([a-z])/g, (_, dash: string, ch: string) => dash + ch.toUpperCase());
}

/** Folded, trimmed, inner whitespace collapsed. */
function normaliseLine(text: string): string {
  return fold(text).replace(/\s+/g, ' ').trim();
}

/** Removes RFC 5322 comments: "auto-replied (vacation)" → "auto-replied ". */
function stripComments(value: string): string {
  return value.replace(/\([^()]*\)/g, ' ');
}

function messageIdDomain(messageId: string | null): string | null {
  if (!messageId) return null;
  const id = messageId.trim().replace(/^<|>$/g, '');
  const at = id.lastIndexOf('@');
  if (at < 0) return null;
  const domain = id.slice(at + 1).trim().toLowerCase();
  return domain || null;
}

function addressesIn(value: string): string[] {
  return (value.toLowerCase().match(/[^\s<>"',;()]+@[^\s<>"',;()]+/g) ?? []).map((a) => a.replace(/\.$/, ''));
}

function clip(text: string, max = 80): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
