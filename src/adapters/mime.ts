import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { AttachmentInfo, EmbeddedMessage, MailAddress, ParsedMessage } from '../core/message';

/**
 * Raw RFC 5322 bytes → ParsedMessage, through mailparser. Never throws for bad input: whatever
 * mailparser cannot make sense of is recorded in `problems`, and the message is still decided.
 */
export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  const problems: string[] = [];
  if (raw.length === 0) problems.push('empty message');
  let mail: ParsedMail | null = null;
  try {
    mail = await simpleParser(raw, PARSER_OPTIONS);
  } catch (err) {
    problems.push(`MIME parse failed: ${(err as Error).message}`);
  }
  const embedded: EmbeddedMessage[] = [];
  if (mail) {
    for (const attachment of mail.attachments ?? []) {
      if (attachment.contentType?.toLowerCase() !== 'message/rfc822' || embedded.length >= MAX_EMBEDDED) continue;
      try {
        const inner = await simpleParser(attachment.content, PARSER_OPTIONS);
        embedded.push({
          from: firstAddress(inner.from),
          subject: inner.subject ?? '',
          date: isoDate(inner.date),
          text: bodyText(inner).text,
        });
      } catch (err) {
        problems.push(`attached message could not be parsed: ${(err as Error).message}`);
      }
    }
  }
  return toParsedMessage(raw, mail, embedded, problems);
}

const PARSER_OPTIONS = { skipImageLinks: true, skipTextLinks: true, maxHtmlLengthToParse: 2_000_000 };
const MAX_EMBEDDED = 5;

function toParsedMessage(
  raw: Buffer,
  mail: ParsedMail | null,
  embedded: EmbeddedMessage[],
  problems: string[],
): ParsedMessage {
  const headers = rawHeaders(mail);
  const contentTypeHeader = mail?.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const contentType = (contentTypeHeader?.value ?? 'text/plain').toLowerCase();
  const reportType = contentType === 'multipart/report' ? (contentTypeHeader?.params?.['report-type'] ?? '').toLowerCase() || null : null;
  const body = mail ? bodyText(mail) : { text: '', fromHtml: false };
  return {
    messageId: mail?.messageId ?? null,
    inReplyTo: mail?.inReplyTo ?? null,
    references: toArray(mail?.references),
    subject: mail?.subject ?? '',
    from: firstAddress(mail?.from),
    to: addresses(mail?.to),
    cc: addresses(mail?.cc),
    replyTo: addresses(mail?.replyTo),
    date: isoDate(mail?.date),
    headers,
    contentType,
    reportType,
    partTypes: partTypes(raw),
    text: body.text,
    textFromHtml: body.fromHtml,
    attachments: (mail?.attachments ?? []).map(
      (a): AttachmentInfo => ({
        filename: a.filename ?? null,
        contentType: (a.contentType ?? 'application/octet-stream').toLowerCase(),
        size: a.size ?? a.content?.length ?? 0,
        isMessage: a.contentType?.toLowerCase() === 'message/rfc822',
      }),
    ),
    embedded,
    size: raw.length,
    problems,
  };
}

function bodyText(mail: ParsedMail): { text: string; fromHtml: boolean } {
  const plain = typeof mail.text === 'string' ? mail.text : '';
  if (plain.trim()) return { text: normaliseText(plain), fromHtml: false };
  if (typeof mail.html === 'string' && mail.html) {
    // mailparser fills `text` from HTML itself when there is no text part; this covers the rest.
    return { text: normaliseText(htmlToPlain(mail.html)), fromHtml: true };
  }
  return { text: '', fromHtml: false };
}

/** Minimal HTML → text for bodies mailparser left without a text version. */
export function htmlToPlain(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h\d|blockquote)>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&amp;/gi, '&')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/gi, "'");
}

function normaliseText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\u0000/g, '')
    .replace(/[\u00a0\u2007\u202f]/g, ' ');
}

function rawHeaders(mail: ParsedMail | null): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { key, line } of mail?.headerLines ?? []) {
    const colon = line.indexOf(':');
    const value = (colon >= 0 ? line.slice(colon + 1) : '').replace(/\r?\n[ \t]+/g, ' ').trim();
    (out[key.toLowerCase()] ??= []).push(value);
  }
  return out;
}

/** Media types of every MIME part, read from the raw header lines (mailparser hides the tree). */
function partTypes(raw: Buffer): string[] {
  const head = raw.subarray(0, Math.min(raw.length, 4 * 1024 * 1024)).toString('latin1');
  const types = new Set<string>();
  for (const match of head.matchAll(/^content-type:[ \t]*([a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+)/gim)) {
    types.add(match[1]!.toLowerCase());
  }
  return [...types];
}

function addresses(value: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  const out: MailAddress[] = [];
  const walk = (entries: AddressObject['value']): void => {
    for (const entry of entries) {
      if (entry.group) walk(entry.group);
      else out.push({ name: entry.name ?? '', address: (entry.address ?? '').toLowerCase() });
    }
  };
  for (const item of list) walk(item.value ?? []);
  return out;
}

function firstAddress(value: AddressObject | AddressObject[] | undefined): MailAddress | null {
  return addresses(value)[0] ?? null;
}

function toArray(value: string | string[] | undefined): string[] {
  if (!value) return [];
  return (Array.isArray(value) ? value : value.split(/\s+/)).filter(Boolean);
}

function isoDate(date: Date | undefined): string | null {
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}
