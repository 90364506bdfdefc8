import type { MailAddress, ParsedMessage } from './message';
import type { Rules } from './types';
import { anyMatch, compilePatterns } from './cues';
import { fold } from './text';

/**
 * Whose words are whose (policy §1): only the customer's own words decide the topic and supply
 * NOME and NIF. The body is cut into blocks by quote depth (`>`), attribution lines ("Em …,
 * … escreveu:"), Outlook-style header blocks ("De:/Enviado:/Para:/Assunto:") and forward
 * markers; each block is attributed to the person its attribution or header names. A block
 * whose author is unclear does not count.
 */

export type Author = 'customer' | 'ours' | 'other' | 'unknown';

interface Voice {
  author: Author;
  source: Segment['source'];
}

const UNKNOWN: Voice = { author: 'unknown', source: 'quoted' };

export interface Segment {
  author: Author;
  /** `new`: the text written for this message; `quoted`: an earlier message carried along. */
  source: 'new' | 'quoted';
  text: string;
}

export interface Authorship {
  segments: Segment[];
  /** The customer's new words, without device footers or legal notices. */
  newText: string;
  /** The customer's own earlier messages, quoted or forwarded (attributed to their address). */
  ownEarlierText: string;
}

interface Line {
  depth: number;
  content: string;
  folded: string;
}

const QUOTE_PREFIX = /^((?:[ \t]*>)+)[ \t]?/;
const EMAIL = /[a-z0-9._%+'-]+@[a-z0-9.-]+\.[a-z]{2,}/i;

export function splitAuthorship(message: ParsedMessage, rules: Rules): Authorship {
  const vocabulary = rules.authorship;
  const attribution = compilePatterns(vocabulary.attributionLines);
  const forwardMarkers = compilePatterns(vocabulary.forwardMarkers);
  const headerFields = compilePatterns(vocabulary.headerBlockFields);
  const footers = compilePatterns(vocabulary.footerMarkers);
  const ownTemplates = compilePatterns(vocabulary.ownTemplateMarkers);
  const people = new PeopleOfMessage(message, rules);

  const lines = toLines(message.text);
  // Who wrote the text at each quote depth, and whether it is new text or an earlier message.
  const NEW: Voice = { author: 'customer', source: 'new' };
  const authorAt = new Map<number, Voice>([[0, NEW]]);
  const pending = new Map<number, Voice>();
  const segments: Segment[] = [];
  let previousDepth = 0;

  const push = (author: Author, source: Segment['source'], text: string): void => {
    const last = segments[segments.length - 1];
    if (last && last.author === author && last.source === source) last.text += `\n${text}`;
    else segments.push({ author, source, text });
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const depth = line.depth;
    if (depth > previousDepth) {
      for (let d = previousDepth + 1; d <= depth; d++) authorAt.set(d, pending.get(d - 1) ?? UNKNOWN);
    } else if (depth < previousDepth) {
      for (let d = depth + 1; d <= previousDepth; d++) authorAt.delete(d);
    }
    previousDepth = depth;
    const trimmed = line.folded.trim();

    // "Em …, Nome <email> escreveu:" on one line or wrapped onto the next line of the same depth.
    // An attribution ends with a colon, on this line or wrapped onto the next: only such lines
    // are worth the patterns (most lines of a long message are not).
    const next = lines[i + 1];
    const nextTrimmed = next && next.depth === depth ? next.folded.trim() : '';
    const oneLine = trimmed.endsWith(':') && anyMatch(attribution, trimmed);
    const wrapped =
      !oneLine && trimmed !== '' && nextTrimmed.endsWith(':') && anyMatch(attribution, `${trimmed} ${nextTrimmed}`);
    if (oneLine || wrapped) {
      const who: Voice = { author: people.roleOf(oneLine ? line.content : `${line.content} ${next!.content}`), source: 'quoted' };
      if (wrapped) i++;
      pending.set(depth, who);
      // Apple Mail keeps the attribution at the depth of the text it introduces; Gmail quotes it
      // one level deeper, and the customer's reply may follow the quote at the attribution's depth.
      if (nextContentDepth(lines, i + 1) <= depth) authorAt.set(depth, who);
      continue;
    }
    if (anyMatch(forwardMarkers, trimmed)) {
      authorAt.set(depth, UNKNOWN);
      continue;
    }
    // Our own identity request pasted back without quote marks: from its marker line on, the
    // text is ours and never supplies NOME or NIF (policy §6).
    if (trimmed && anyMatch(ownTemplates, trimmed)) {
      authorAt.set(depth, { author: 'ours', source: 'quoted' });
      continue;
    }
    const header = readHeaderBlock(lines, i, depth, headerFields);
    if (header) {
      authorAt.set(depth, { author: people.roleOf(header.from), source: 'quoted' });
      i = header.end;
      continue;
    }
    const voice = authorAt.get(depth) ?? UNKNOWN;
    push(voice.author, voice.source, line.content);
  }

  for (const embedded of message.embedded) {
    const author = people.roleOfAddress(embedded.from);
    push(author, 'quoted', embedded.text);
  }

  const clean = (segment: Segment): string => cutFooters(segment.text, footers);
  const newText = segments.filter((s) => s.author === 'customer' && s.source === 'new').map(clean).join('\n').trim();
  const ownEarlierText = segments
    .filter((s) => s.author === 'customer' && s.source === 'quoted')
    .map(clean)
    .join('\n\n')
    .trim();
  return { segments, newText, ownEarlierText };
}

/** Depth of the next line with any text, or -1 at the end. */
function nextContentDepth(lines: Line[], from: number): number {
  for (let j = from; j < lines.length; j++) if (lines[j]!.content.trim()) return lines[j]!.depth;
  return -1;
}

function toLines(text: string): Line[] {
  return text.split('\n').map((raw) => {
    const prefix = QUOTE_PREFIX.exec(raw);
    const depth = prefix ? (prefix[1]!.match(/>/g) ?? []).length : 0;
    const content = (prefix ? raw.slice(prefix[0].length) : raw).replace(/\s+$/, '');
    return { depth, content, folded: fold(content) };
  });
}

/**
 * An Outlook/Gmail header block: a `De:`/`From:` line followed closely by other header fields at
 * the same depth. Returns who it names and the index of its last line.
 */
function readHeaderBlock(lines: Line[], start: number, depth: number, fields: RegExp[]): { from: string; end: number } | null {
  const first = lines[start]!;
  const fromMatch = /^\*?\s*(de|from)\s*:\s*\*?\s*(.+)$/.exec(first.folded.trim());
  if (!fromMatch) return null;
  let end = start;
  let otherFields = 0;
  for (let j = start + 1; j < lines.length && j <= start + 8; j++) {
    const line = lines[j]!;
    if (line.depth !== depth) break;
    const text = line.folded.trim();
    if (text === '') {
      if (otherFields > 0) break;
      continue;
    }
    if (anyMatch(fields, text)) {
      otherFields++;
      end = j;
    } else if (otherFields > 0) {
      break;
    }
  }
  if (otherFields === 0) return null;
  const original = first.content.replace(/^\s*\*?\s*(de|from)\s*:\s*\*?\s*/i, '');
  return { from: original, end };
}

/** Cuts a block at its first device footer or legal notice line. */
function cutFooters(text: string, footers: RegExp[]): string {
  const lines = text.split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    if (anyMatch(footers, fold(line).trim())) break;
    kept.push(line);
  }
  return kept.join('\n').trim();
}

/** Who a name or address in an attribution belongs to: the customer, us, or someone else. */
class PeopleOfMessage {
  private readonly customerAddress: string;
  private readonly customerName: string;
  private readonly ourAddresses: Set<string>;
  private readonly ourNames: string[];

  constructor(message: ParsedMessage, rules: Rules) {
    this.customerAddress = message.from?.address ?? '';
    this.customerName = normaliseName(message.from?.name ?? '');
    const recipients = [...message.to, ...message.cc];
    this.ourAddresses = new Set([...recipients.map((a) => a.address), ...rules.self.inboxAddresses].filter(Boolean));
    this.ourNames = recipients.map((a) => normaliseName(a.name)).filter((n) => n.length > 2);
  }

  roleOf(text: string): Author {
    const address = EMAIL.exec(text)?.[0]?.toLowerCase();
    if (address) return this.roleOfEmail(address);
    const name = ` ${normaliseName(text)} `;
    // Whole words only: the customer "Ana" is not "Mariana Lopes".
    if (this.customerName.length > 2 && name.includes(` ${this.customerName} `)) return 'customer';
    if (this.ourNames.some((n) => name.includes(` ${n} `))) return 'ours';
    return 'unknown';
  }

  roleOfAddress(address: MailAddress | null): Author {
    if (!address) return 'unknown';
    return address.address ? this.roleOfEmail(address.address) : this.roleOf(address.name);
  }

  private roleOfEmail(address: string): Author {
    if (address === this.customerAddress) return 'customer';
    if (this.ourAddresses.has(address)) return 'ours';
    return 'other';
  }
}

function normaliseName(name: string): string {
  return fold(name).replace(/[^a-z0-9@. ]+/g, ' ').replace(/\s+/g, ' ').trim();
}
