import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import libmime from 'libmime';
import { MailParser, type AddressObject, type AttachmentStream, type HeaderLines, type Headers, type MessageText } from 'mailparser';
import type { AttachmentInfo, EmbeddedMessage, MailAddress, ParsedMessage } from '../core/message';
import { htmlToText } from './html-text';

/**
 * Raw RFC 5322 bytes → ParsedMessage, through mailparser. Never throws and never loses the
 * message (policy §7 "Nothing is lost"): whatever cannot be read is recorded in `problems`, and
 * the message still comes out with what could be read, down to its bytes read as text.
 *
 * - Legacy charsets (ISO-8859-x, Windows-125x, GB2312, Shift_JIS, ISO-2022-JP, ks_c_5601-1987…)
 *   are decoded by mailparser's own decoder (libmime); a charset it does not know is read as
 *   UTF-8 when the bytes are valid UTF-8, else as Windows-1252, with a problem entry.
 * - Raw 8-bit header bytes that are not UTF-8 (old Outlook, webmail) are decoded with the
 *   message's declared charset (else Windows-1252) before parsing, so "João" stays "João".
 * - HTML-only mail is converted by `htmlToText` (line structure and "> " quotes kept).
 * - Attachments are listed (name, type, size), not kept; an attached message/rfc822 is parsed one
 *   level down into `embedded`. A message forwarded inline stays in `text`.
 */
export async function parseMessage(input: Buffer): Promise<ParsedMessage> {
  const problems: string[] = [];
  if (input.length === 0) problems.push('empty message');
  const raw = withCrlfLineEnds(input, problems);
  try {
    const mail = await readMail(raw, problems, true);
    const embedded: EmbeddedMessage[] = [];
    for (const inner of mail.messages) {
      const innerProblems: string[] = [];
      const innerMail = await readMail(inner, innerProblems, false);
      embedded.push({
        from: firstAddress(innerMail.headers.get('from')),
        subject: headerText(innerMail.headers.get('subject')),
        date: isoDate(innerMail.headers.get('date')),
        text: bodyText(innerMail, innerProblems).text,
      });
      for (const problem of innerProblems) problems.push(`attached message: ${problem}`);
    }
    return toParsedMessage(raw, mail, embedded, problems);
  } catch (err) {
    // Not expected (every step above has its own fallback); if it happens, the bytes still count.
    problems.push(`message could not be parsed, raw bytes read as text: ${describe(err)}`);
    return toParsedMessage(raw, bytesAsText(raw), [], problems);
  }
}

/**
 * Old Mac-style mail ends its lines with a bare CR, which MIME parsers read as one endless
 * header line. When bare CRs outnumber LFs in the head of the message, they become CRLF.
 */
function withCrlfLineEnds(raw: Buffer, problems: string[]): Buffer {
  const head = raw.subarray(0, Math.min(raw.length, 64 * 1024));
  let bareCr = 0;
  let lf = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i] === 0x0a) lf++;
    else if (head[i] === 0x0d && head[i + 1] !== 0x0a) bareCr++;
  }
  if (bareCr === 0 || bareCr <= lf) return raw;
  problems.push('lines end with a bare CR: read as CRLF');
  return Buffer.from(raw.toString('latin1').replace(/\r(?!\n)/g, '\r\n'), 'latin1');
}

/** Attached messages parsed into `embedded`; more are still listed as attachments. */
const MAX_EMBEDDED = 5;
/** An attached message larger than this is listed, not parsed. */
const MAX_EMBEDDED_BYTES = 10 * 1024 * 1024;
/** `text` is cut here: the decision reads the customer's words, which come first. */
export const MAX_TEXT_CHARS = 1_000_000;
/** A parse still running after this long is abandoned and the message read as plain text. */
const PARSE_TIMEOUT_MS = 30_000;

/** What one mailparser run gives, before it is turned into a ParsedMessage. */
interface MailParts {
  headers: Headers;
  headerLines: HeaderLines;
  text: string;
  html: string;
  attachments: AttachmentInfo[];
  /** Contents of attached message/rfc822 parts, for `embedded` (at most MAX_EMBEDDED). */
  messages: Buffer[];
  /** The bytes mailparser was given in the end (after header repair or a fallback). */
  source: Buffer;
}

const PARSER_OPTIONS = {
  // htmlToText (./html-text) converts HTML with the options the quote splitter needs.
  skipHtmlToText: true,
  // No HTML rendering of the text (`textAsHtml`), no inlined images: nothing here displays mail.
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  // Attachments are counted, not fingerprinted.
  checksumAlgo: false as const,
};

/**
 * Parses with mailparser, falling back step by step when it fails: first with the top-level
 * header block cut down (a header over mailparser's 1 MB limit), then with the whole body read
 * as plain text (broken or too deeply nested structure), and at last without mailparser.
 */
async function readMail(raw: Buffer, problems: string[], keepMessages: boolean): Promise<MailParts> {
  let repaired = raw;
  try {
    repaired = repairHeaders(raw, problems);
  } catch (err) {
    problems.push(`header repair skipped: ${describe(err)}`);
  }
  try {
    return await runParser(repaired, problems, keepMessages);
  } catch (err) {
    problems.push(`MIME parse failed: ${describe(err)}`);
  }
  const split = splitHead(repaired);
  const head = trimHeaderBlock(repaired.subarray(0, split.headEnd).toString('latin1'));
  try {
    const result = await runParser(joinHead(head, repaired.subarray(split.bodyStart)), problems, keepMessages);
    problems.push('header block cut down to be parsed');
    return result;
  } catch (err) {
    problems.push(`MIME parse failed with the header block cut down: ${describe(err)}`);
  }
  const plainHead = head.replace(/^content-(?:type|transfer-encoding)[ \t]*:.*(?:\r?\n[ \t].*)*(?:\r?\n|$)/gim, '');
  try {
    const result = await runParser(joinHead(plainHead, repaired.subarray(split.bodyStart)), problems, false);
    problems.push('MIME structure ignored: the body was read as plain text');
    return result;
  } catch (err) {
    problems.push(`plain-text parse failed, raw bytes read as text: ${describe(err)}`);
  }
  return bytesAsText(repaired);
}

/** The last resort: no headers, the bytes themselves as the text. */
function bytesAsText(raw: Buffer): MailParts {
  return { headers: new Map(), headerLines: [], text: decodeUnlabelled(raw), html: '', attachments: [], messages: [], source: raw };
}

function joinHead(head: string, body: Buffer): Buffer {
  let end = head.length;
  while (end > 0 && (head[end - 1] === '\n' || head[end - 1] === '\r')) end--;
  return Buffer.concat([Buffer.from(`${head.slice(0, end)}\r\n\r\n`, 'latin1'), body]);
}

/** One mailparser run over `input`: headers, text, HTML, attachment list and attached messages. */
function runParser(input: Buffer, problems: string[], keepMessages: boolean): Promise<MailParts> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({ ...PARSER_OPTIONS, Iconv: charsetDecoderFor(problems) });
    const parts: MailParts = {
      headers: new Map(),
      headerLines: [],
      text: '',
      html: '',
      attachments: [],
      messages: [],
      source: input,
    };
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`parse took over ${PARSE_TIMEOUT_MS} ms`)), PARSE_TIMEOUT_MS);
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      parser.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    parser.on('headers', (headers: Headers) => {
      parts.headers = headers;
    });
    parser.on('headerLines', (lines: HeaderLines) => {
      parts.headerLines = lines;
    });
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        parts.text = typeof data.text === 'string' ? data.text : '';
        parts.html = typeof data.html === 'string' ? data.html : '';
        return;
      }
      readAttachment(data, parts, keepMessages, problems);
    });
    parser.on('error', fail);
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(parts);
    });
    parser.end(input);
  });
}

/** Counts an attachment's bytes without keeping them, except an attached message's (bounded). */
function readAttachment(data: AttachmentStream, parts: MailParts, keepMessages: boolean, problems: string[]): void {
  const contentType = (data.contentType || 'application/octet-stream').toLowerCase();
  const isMessage = contentType === 'message/rfc822';
  const keep = keepMessages && isMessage && parts.messages.length < MAX_EMBEDDED;
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    parts.attachments.push({ filename: data.filename ?? null, contentType, size, isMessage });
    if (keep) {
      if (size <= MAX_EMBEDDED_BYTES) parts.messages.push(Buffer.concat(chunks, size));
      else problems.push(`attached message of ${size} bytes not parsed (over ${MAX_EMBEDDED_BYTES})`);
    }
    data.release?.();
  };
  data.content.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (keep && size <= MAX_EMBEDDED_BYTES) chunks.push(chunk);
  });
  data.content.on('end', finish);
  data.content.on('error', (err: Error) => {
    problems.push(`attachment ${JSON.stringify(data.filename ?? contentType)} could not be decoded: ${err.message}`);
    finish();
  });
}

// ---------------------------------------------------------------------------------------------
// Charsets

/**
 * mailparser's `Iconv` hook, called for every text part whose charset is not UTF-8 or ASCII. A
 * charset libmime knows (directly, or without an "x-"/"iso-"/"cs" prefix: "iso-gb2312") is
 * decoded by libmime as mailparser would; an unknown one is read as UTF-8 if the bytes are valid
 * UTF-8, else as Windows-1252, and noted in `problems`.
 */
function charsetDecoderFor(problems: string[]): new (charset: string) => Transform {
  return class CharsetDecoder extends Transform {
    private readonly charset: string;
    private readonly inner: Transform | null;
    private readonly chunks: Buffer[] = [];

    constructor(charset: string) {
      super();
      this.charset = charset;
      this.inner = knownDecodeStream(charset);
      if (this.inner) {
        this.inner.on('data', (chunk: Buffer) => this.push(chunk));
        this.inner.on('error', (err: Error) => this.destroy(err));
      }
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
      if (this.inner) this.inner.write(chunk, () => done());
      else {
        this.chunks.push(chunk);
        done();
      }
    }

    override _flush(done: TransformCallback): void {
      if (this.inner) {
        this.inner.once('end', () => done());
        this.inner.end();
        return;
      }
      const bytes = Buffer.concat(this.chunks);
      const utf8 = isUtf8(bytes);
      problems.push(`unknown charset ${JSON.stringify(this.charset)}: text read as ${utf8 ? 'UTF-8' : 'Windows-1252'}`);
      done(null, Buffer.from(utf8 ? bytes.toString('utf8') : WINDOWS_1252.decode(bytes), 'utf8'));
    }
  };
}

const WINDOWS_1252 = new TextDecoder('windows-1252');

/** libmime's decode stream for `charset`, or null when libmime does not know the charset. */
function knownDecodeStream(charset: string): Transform | null {
  for (const name of charsetNames(charset)) {
    const stream = libmime.createDecodeStream(name);
    if (stream.supported) return stream;
  }
  return null;
}

function charsetNames(charset: string): string[] {
  const name = charset.trim().toLowerCase();
  const bare = name.replace(/^(?:x-|iso-|cs)/, '');
  return bare !== name && bare ? [name, bare] : [name];
}

/** A TextDecoder for a charset name, or null (WHATWG labels, then libmime's canonical name). */
function textDecoderFor(charset: string, fatal = false): TextDecoder | null {
  for (const name of charsetNames(charset)) {
    for (const label of [name, libmime.normalizeCharset(name)]) {
      try {
        return new TextDecoder(label, { fatal });
      } catch {
        // not a label this runtime knows; try the next
      }
    }
  }
  return null;
}

/** Bytes with no usable charset label: UTF-8 when they are valid UTF-8, else Windows-1252. */
function decodeUnlabelled(bytes: Buffer): string {
  return isUtf8(bytes) ? bytes.toString('utf8') : WINDOWS_1252.decode(bytes);
}

// ---------------------------------------------------------------------------------------------
// Header repair, before mailparser sees the message

/** Where the top-level header block ends and the body starts. */
function splitHead(raw: Buffer): { headEnd: number; bodyStart: number } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.subarray(0, crlf < 0 ? raw.length : crlf + 2).indexOf('\n\n');
  if (lf >= 0 && (crlf < 0 || lf < crlf)) return { headEnd: lf + 1, bodyStart: lf + 2 };
  if (crlf >= 0) return { headEnd: crlf + 2, bodyStart: crlf + 4 };
  return { headEnd: raw.length, bodyStart: raw.length };
}

/**
 * Repairs two faults of the top-level header block that make mailparser lose text:
 * - raw 8-bit bytes that are not UTF-8 (mailparser reads header bytes as UTF-8): each such line
 *   is decoded with a charset the message declares (see headerDecoder) and re-encoded as UTF-8,
 *   which mailparser reads as RFC 6532 headers; a raw byte inside a Q encoded-word is escaped
 *   instead, as it belongs to the word's own charset;
 * - a parameter line (`boundary=…`) that lost its indentation after a header ending in ";": it
 *   is indented, so it continues the header above as its sender meant.
 * Returns `raw` itself when there is nothing to repair (the common case, no copy).
 */
function repairHeaders(raw: Buffer, problems: string[]): Buffer {
  const { headEnd } = splitHead(raw);
  const head = raw.subarray(0, headEnd);
  const eightBit = !isUtf8(head);
  const latin = head.toString('latin1');
  const stray = STRAY_LINE.test(latin);
  const oddWords = latin.includes('=?') && hasOddEncodedWord(latin);
  if (!eightBit && !stray && !oddWords) return raw;
  let lines = latin.split(/(?<=\n)/);
  if (eightBit) {
    const decoder = headerDecoder(raw, lines);
    lines = lines.map((line) => {
      if (!/[\x80-\xff]/.test(line) || isUtf8(Buffer.from(line, 'latin1'))) return line;
      const escaped = line.replace(/=\?[^?\s]+\?[Qq]\?[^?]*\?=/g, (word) =>
        word.replace(/[\x80-\xff]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase()}`),
      );
      const bytes = Buffer.from(escaped, 'latin1');
      if (isUtf8(bytes)) return escaped;
      return Buffer.from(decoder.decode(bytes), 'utf8').toString('latin1');
    });
    problems.push(`raw 8-bit header bytes read as ${decoder.encoding}`);
  }
  if (oddWords) {
    lines = lines.map((line) => line.replace(ENCODED_WORD, (word, charset: string, encoding: string, data: string) =>
      isReadableCharset(charset) ? word : utf8Word(charset, encoding, data, problems),
    ));
  }
  if (stray) {
    lines = lines.map((line, i) => (i > 0 && PARAMETER_LINE.test(line) && /;[ \t]*\r?\n$/.test(lines[i - 1]!) ? ` ${line}` : line));
    problems.push('header lines without a name joined to the header above');
  }
  return Buffer.concat([Buffer.from(lines.join(''), 'latin1'), raw.subarray(headEnd)]);
}

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

function hasOddEncodedWord(head: string): boolean {
  for (const match of head.matchAll(ENCODED_WORD)) if (!isReadableCharset(match[1]!)) return true;
  return false;
}

/** Whether libmime decodes encoded-words in this charset (it reads unknown ones, and UTF-7, as UTF-8). */
function isReadableCharset(charset: string): boolean {
  const name = charset.toLowerCase().replace(/\*.*$/, '');
  let known = READABLE_CHARSETS.get(name);
  if (known === undefined) {
    known = !/utf-?7/.test(name) && libmime.createDecodeStream(name).supported;
    if (READABLE_CHARSETS.size < 256) READABLE_CHARSETS.set(name, known);
  }
  return known;
}

const READABLE_CHARSETS = new Map<string, boolean>([
  ['utf-8', true],
  ['us-ascii', true],
  ['iso-8859-1', true],
  ['iso-8859-15', true],
  ['windows-1252', true],
]);

/**
 * An encoded-word libmime would misread, rewritten as UTF-8: UTF-7 decoded (it only ever reaches
 * plain text here, never HTML), a charset known under another name decoded with it, an unknown
 * one read as UTF-8 if valid, else Windows-1252.
 */
function utf8Word(charset: string, encoding: string, data: string, problems: string[]): string {
  const bytes =
    encoding.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64')
      : Buffer.from(
          data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        );
  let text: string;
  if (/utf-?7/i.test(charset)) text = decodeUtf7(bytes.toString('latin1'));
  else {
    const decoder = textDecoderFor(charset);
    if (decoder) text = decoder.decode(bytes);
    else {
      text = decodeUnlabelled(bytes);
      problems.push(`unknown charset ${JSON.stringify(charset)} in a header: read as ${isUtf8(bytes) ? 'UTF-8' : 'Windows-1252'}`);
    }
  }
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** RFC 2152 UTF-7: "+" base64 of UTF-16BE "-", "+-" for "+". */
function decodeUtf7(text: string): string {
  return text.replace(/\+([A-Za-z0-9+/]*)-?/g, (_m, run: string) => {
    if (!run) return '+';
    const bytes = Buffer.from(run, 'base64');
    const even = bytes.subarray(0, bytes.length - (bytes.length % 2));
    return Buffer.from(even).swap16().toString('utf16le');
  });
}

/** A line that is a MIME parameter ("boundary=…"), not a header. */
const PARAMETER_LINE = /^[A-Za-z0-9_.*-]+[ \t]*=/;
/** Such a line right after a header that ends with ";" (a parameter that lost its indentation). */
const STRAY_LINE = /;[ \t]*\r?\n[A-Za-z0-9_.*-]+[ \t]*=/;

/**
 * The decoder for raw 8-bit header lines: the first charset the message declares (multi-byte
 * ones first, as they can be told wrong) that reads every such line without an error, else
 * Windows-1252, which reads anything.
 */
function headerDecoder(raw: Buffer, lines: string[]): TextDecoder {
  const samples = lines.filter((line) => /[\x80-\xff]/.test(line)).map((line) => Buffer.from(line, 'latin1'));
  const found: TextDecoder[] = [];
  const prefix = raw.subarray(0, Math.min(raw.length, 64 * 1024)).toString('latin1');
  for (const match of prefix.matchAll(/charset\s*=\s*"?([A-Za-z0-9_.:+-]+)/gi)) {
    const decoder = textDecoderFor(match[1]!, true);
    if (decoder && decoder.encoding !== 'utf-8' && !found.some((d) => d.encoding === decoder.encoding)) {
      found.push(decoder);
      // Japanese mail declares ISO-2022-JP and still carries Shift_JIS bytes in headers.
      if (decoder.encoding === 'iso-2022-jp') found.push(new TextDecoder('shift_jis', { fatal: true }));
    }
  }
  const ordered = [...found.filter((d) => MULTI_BYTE.has(d.encoding)), ...found.filter((d) => !MULTI_BYTE.has(d.encoding))];
  for (const decoder of ordered) {
    try {
      for (const sample of samples) decoder.decode(sample);
      return new TextDecoder(decoder.encoding);
    } catch {
      // these bytes are not in this charset; try the next
    }
  }
  return WINDOWS_1252;
}

const MULTI_BYTE = new Set(['gbk', 'gb18030', 'big5', 'shift_jis', 'euc-jp', 'iso-2022-jp', 'euc-kr']);

/**
 * The top-level header block cut to what mailparser accepts: every line at most 998 characters,
 * the headers the decision reads kept first, then the others while the block stays under 256 KB.
 */
function trimHeaderBlock(head: string): string {
  const fields = head.split(/\r?\n(?![ \t])/).filter((field) => field.trim());
  const important: string[] = [];
  const rest: string[] = [];
  const seen = new Map<string, number>();
  for (const field of fields) {
    const name = (/^([^:\s]+)\s*:/.exec(field)?.[1] ?? '').toLowerCase();
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    const line = field.replace(/\r?\n[ \t]+/g, ' ').slice(0, 998);
    if (IMPORTANT_HEADERS.has(name) && count <= 20) important.push(line);
    else rest.push(line);
  }
  const out = [...important];
  let size = out.reduce((sum, line) => sum + line.length + 2, 0);
  for (const line of rest) {
    if (size + line.length + 2 > 256 * 1024) break;
    out.push(line);
    size += line.length + 2;
  }
  return out.join('\r\n');
}

const IMPORTANT_HEADERS = new Set([
  'from', 'to', 'cc', 'reply-to', 'sender', 'subject', 'date', 'message-id', 'in-reply-to', 'references',
  'return-path', 'auto-submitted', 'precedence', 'list-id', 'list-unsubscribe', 'x-autoreply', 'x-autorespond',
  'x-auto-reply', 'x-loop', 'mime-version', 'content-type', 'content-transfer-encoding', 'content-disposition',
]);

// ---------------------------------------------------------------------------------------------
// ParsedMessage

function toParsedMessage(raw: Buffer, mail: MailParts, embedded: EmbeddedMessage[], problems: string[]): ParsedMessage {
  const contentTypeHeader = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const contentType = (contentTypeHeader?.value ?? 'text/plain').toLowerCase();
  const reportType =
    contentType === 'multipart/report' ? (contentTypeHeader?.params?.['report-type'] ?? '').toLowerCase() || null : null;
  const body = bodyText(mail, problems);
  return {
    messageId: idText(mail.headers.get('message-id')),
    inReplyTo: idText(mail.headers.get('in-reply-to')),
    references: toArray(mail.headers.get('references')),
    subject: headerText(mail.headers.get('subject')),
    from: firstAddress(mail.headers.get('from')),
    to: addresses(mail.headers.get('to')),
    cc: addresses(mail.headers.get('cc')),
    replyTo: addresses(mail.headers.get('reply-to')),
    date: isoDate(mail.headers.get('date')),
    headers: rawHeaders(mail.headerLines),
    contentType,
    reportType,
    partTypes: partTypes(raw),
    text: body.text,
    textFromHtml: body.fromHtml,
    attachments: mail.attachments,
    embedded,
    size: raw.length,
    problems: [...new Set(problems)],
  };
}

/**
 * The body as text: text/plain when there is one, the HTML converted when there is none. When
 * plain and HTML parts follow each other outside a multipart/alternative (each says something of
 * its own), both are kept: the plain parts, then the HTML ones. A multipart in which no part
 * could be found (no boundary line) gives its body read as text, rather than nothing.
 */
function bodyText(mail: MailParts, problems: string[]): { text: string; fromHtml: boolean } {
  const plain = mail.text.trim() ? legacyBody(mail, problems) : '';
  if (mail.html.trim() && (!plain || !partTypes(mail.source).includes('multipart/alternative'))) {
    const converted = htmlToText(mail.html);
    if (converted.truncated) problems.push('HTML body too long: only its start was converted');
    if (!plain) return { text: limitText(converted.text, problems), fromHtml: true };
    return { text: limitText(`${plain.trimEnd()}\n\n${converted.text}`, problems), fromHtml: false };
  }
  if (plain) return { text: limitText(plain, problems), fromHtml: false };
  return { text: limitText(orphanBody(mail, problems), problems), fromHtml: false };
}

/**
 * Second reading of a single-part text/plain body that mailparser could not decode:
 * - no usable charset and bytes that are not UTF-8 (old clients send ISO-8859-1 unlabelled):
 *   mailparser read it as UTF-8 and lost every accented letter to U+FFFD, so it is read again
 *   from the raw bytes as Windows-1252;
 * - declared UTF-7, which mailparser never decodes (it can smuggle markup into HTML): decoded
 *   here, since this text is only ever read as plain text.
 */
function legacyBody(mail: MailParts, problems: string[]): string {
  const plain = mail.text;
  const contentType = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if ((contentType?.value ?? 'text/plain').toLowerCase() !== 'text/plain') return plain;
  if (/^(?:x-|unicode-1-1-)?utf-?7$/i.test(contentType?.params?.charset ?? '')) return decodeUtf7(plain);
  if (!plain.includes('\ufffd') || /[^\x00-\x7f\ufffd]/.test(plain)) return plain;
  const bytes = decodeTransfer(mail, mail.source.subarray(splitHead(mail.source).bodyStart));
  if (isUtf8(bytes)) return plain;
  problems.push('text is not valid UTF-8 and names no charset it could be read with: read as Windows-1252');
  return WINDOWS_1252.decode(bytes);
}

/** A multipart body in which no part was found (no boundary line): its bytes read as text. */
function orphanBody(mail: MailParts, problems: string[]): string {
  const contentType = mail.headers.get('content-type') as { value?: string } | undefined;
  if (!/^multipart\//i.test(contentType?.value ?? '') || mail.attachments.length > 0) return '';
  const body = mail.source.subarray(splitHead(mail.source).bodyStart);
  const text = decodeUnlabelled(body)
    .replace(/^--.*$/gm, '')
    .trim();
  if (text) problems.push('multipart body has no parts: read as plain text');
  return text;
}

/** Undoes the top-level Content-Transfer-Encoding (quoted-printable, base64) of a body. */
function decodeTransfer(mail: MailParts, body: Buffer): Buffer {
  const encoding = String(mail.headers.get('content-transfer-encoding') ?? '').toLowerCase().trim();
  if (encoding === 'base64') return Buffer.from(body.toString('latin1'), 'base64');
  if (encoding === 'quoted-printable') {
    const text = body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(
      text.replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    );
  }
  return body;
}

function limitText(text: string, problems: string[]): string {
  const clean = normaliseText(text);
  if (clean.length <= MAX_TEXT_CHARS) return clean;
  problems.push(`text of ${clean.length} characters cut to ${MAX_TEXT_CHARS}`);
  return clean.slice(0, MAX_TEXT_CHARS);
}

function normaliseText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000\ufeff]/g, '')
    .replace(/[\u00a0\u2007\u202f]/g, ' ');
}

/** A header value as one clean line: no CR/LF (a decoded encoded-word may hold them), no controls. */
function cleanLine(value: string): string {
  return value
    .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
}

function headerText(value: unknown): string {
  if (typeof value === 'string') return cleanLine(value);
  if (Array.isArray(value) && typeof value[0] === 'string') return cleanLine(value[0]);
  return '';
}

function idText(value: unknown): string | null {
  const text = headerText(value);
  return text || null;
}

function rawHeaders(lines: HeaderLines): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { key, line } of lines) {
    if (!key) continue;
    const colon = line.indexOf(':');
    const value = cleanLine((colon >= 0 ? line.slice(colon + 1) : '').replace(/\r?\n[ \t]+/g, ' '));
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

function addresses(value: unknown): MailAddress[] {
  const list = (Array.isArray(value) ? value : value ? [value] : []) as AddressObject[];
  const out: MailAddress[] = [];
  const walk = (entries: AddressObject['value']): void => {
    for (const entry of entries) {
      if (entry.group) walk(entry.group);
      else out.push({ name: cleanLine(entry.name ?? ''), address: cleanLine(entry.address ?? '').toLowerCase() });
    }
  };
  for (const item of list) if (item && Array.isArray(item.value)) walk(item.value);
  return out;
}

function firstAddress(value: unknown): MailAddress | null {
  return addresses(value)[0] ?? null;
}

function toArray(value: unknown): string[] {
  if (!value) return [];
  const list = Array.isArray(value) ? value : String(value).split(/\s+/);
  return list.map((item) => cleanLine(String(item))).filter(Boolean);
}

function isoDate(value: unknown): string | null {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : null;
}

function describe(err: unknown): string {
  const error = err as { code?: unknown; message?: unknown } | null;
  const code = typeof error?.code === 'string' ? `${error.code}: ` : '';
  return `${code}${typeof error?.message === 'string' ? error.message : String(err)}`;
}

/** A file carried by a message, with its bytes (the relay of a team's answer sends them on). */
export interface CarriedFile {
  filename: string;
  contentType: string;
  content: Buffer;
}

/**
 * The files attached to a message (a PDF, an image sent as an attachment), in order: attached
 * messages (message/*, e.g. our forward sent back) and inline parts of the body (signature logos)
 * are left out. Never throws: a message that cannot be read carries no files.
 */
export async function extractFiles(raw: Buffer): Promise<CarriedFile[]> {
  try {
    const { simpleParser } = await import('mailparser');
    const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
    return mail.attachments
      .filter((a) => {
        const type = (a.contentType || '').toLowerCase();
        if (type.startsWith('message/') || a.related) return false;
        return a.contentDisposition === 'attachment' || (a.contentDisposition !== 'inline' && !!a.filename);
      })
      .map((a, i) => ({ filename: a.filename || `anexo-${i + 1}`, contentType: (a.contentType || 'application/octet-stream').toLowerCase(), content: a.content }));
  } catch {
    return [];
  }
}
