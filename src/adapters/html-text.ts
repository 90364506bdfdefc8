import { compile, type HtmlToTextOptions } from 'html-to-text';

/**
 * HTML body → plain text for the decision core, through html-to-text (the converter mailparser
 * itself uses), set up for what the quote splitter and the identity rules read:
 * - no word wrapping, so an attribution line ("Em seg., 16 de nov. de 2026 às 11:27, Ana
 *   <ana@example.com> escreveu:") or an Outlook "De:/Enviado:/Para:/Assunto:" block stays one
 *   line per header, as the sender's client drew it;
 * - `<blockquote>` content prefixed with "> " (nested quotes get "> > "), as plain-text clients
 *   quote, so a quoted reply in an HTML-only mail splits the same way as in a text one;
 * - link targets and images dropped: only the words a person reads. A tracking URL's digits
 *   must never look like a NIF (policy §2);
 * - headings and table headers keep their case (a name in a heading is still a name).
 */
export function htmlToText(html: string): HtmlText {
  let input = html;
  let truncated = false;
  if (input.length > MAX_HTML_CHARS) {
    input = input.slice(0, MAX_HTML_CHARS);
    truncated = true;
  }
  // Past MAX_DEPTH html-to-text drops the deeper content, and parsing hostile nesting is slow:
  // such HTML is read with a plain tag strip instead, so its words are still there.
  let text: string;
  try {
    text = isNestedDeeper(input, MAX_DEPTH) ? stripTags(input) : convert(input);
  } catch {
    // html-to-text has no documented failure, but a body is never lost to one.
    text = stripTags(input);
  }
  return { text: tidy(text), truncated };
}

export interface HtmlText {
  text: string;
  /** true when the HTML was longer than MAX_HTML_CHARS and only its start was converted. */
  truncated: boolean;
}

/** HTML past this length is cut before conversion: the words that matter come first. */
export const MAX_HTML_CHARS = 1_000_000;

/** HTML nested deeper than this is read with a plain tag strip instead (see htmlToText). */
const MAX_DEPTH = 1000;

const BLOCK = { leadingLineBreaks: 1, trailingLineBreaks: 1 };
const HEADING = { leadingLineBreaks: 2, trailingLineBreaks: 1, uppercase: false };

const OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  decodeEntities: true,
  formatters: {
    // Table cells side by side on one line, a space apart ("Nome:" | "Ana Martins").
    cell: (elem, walk, builder) => {
      walk(elem.children, builder);
      builder.addInline(' ');
    },
  },
  limits: { maxDepth: MAX_DEPTH, maxInputLength: MAX_HTML_CHARS, ellipsis: '' },
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'head', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'title', format: 'skip' },
    // Outlook writes one <p class=MsoNormal> per line with no margin: a line, not a paragraph.
    { selector: 'p.MsoNormal', format: 'block', options: BLOCK },
    { selector: 'p.msonormal', format: 'block', options: BLOCK },
    { selector: 'h1', options: HEADING },
    { selector: 'h2', options: HEADING },
    { selector: 'h3', options: HEADING },
    { selector: 'h4', options: HEADING },
    { selector: 'h5', options: HEADING },
    { selector: 'h6', options: HEADING },
    { selector: 'table', format: 'block', options: BLOCK },
    { selector: 'tr', format: 'block', options: BLOCK },
    { selector: 'td', format: 'cell' },
    { selector: 'th', format: 'cell' },
    { selector: 'hr', options: { length: 20 } },
    { selector: 'ul', options: { itemPrefix: ' - ' } },
  ],
};

/** Compiled once: html-to-text's convert() would re-read the options on every call. */
const convert = compile(OPTIONS);

/** Elements that hold no content, or whose end tag is implied: they open no nesting level. */
const NO_LEVEL = new Set([
  'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr',
  'p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'tbody', 'thead', 'tfoot', 'option', 'optgroup', 'colgroup', 'rb', 'rt', 'rp',
]);

/** The tags of `html` in order, found by a linear scan (no regex backtracking on hostile input). */
function* tags(html: string): Generator<{ name: string; closing: boolean; selfClosing: boolean; start: number; end: number }> {
  let at = html.indexOf('<');
  while (at >= 0) {
    const end = html.indexOf('>', at + 1);
    if (end < 0) return;
    const closing = html.charCodeAt(at + 1) === 0x2f;
    const nameStart = at + (closing ? 2 : 1);
    let nameEnd = nameStart;
    while (nameEnd < end && /[a-zA-Z0-9:-]/.test(html[nameEnd]!)) nameEnd++;
    if (nameEnd > nameStart && /[a-zA-Z]/.test(html[nameStart]!)) {
      const name = html.slice(nameStart, nameEnd).toLowerCase();
      yield { name, closing, selfClosing: html.charCodeAt(end - 1) === 0x2f, start: at, end: end + 1 };
      at = html.indexOf('<', end + 1);
    } else {
      at = html.indexOf('<', at + 1);
    }
  }
}

/** Whether open elements nest deeper than `limit` anywhere. */
function isNestedDeeper(html: string, limit: number): boolean {
  let depth = 0;
  for (const tag of tags(html)) {
    if (NO_LEVEL.has(tag.name) || tag.selfClosing) continue;
    if (tag.closing) depth = Math.max(0, depth - 1);
    else if (++depth > limit) return true;
  }
  return false;
}

/** The crude reading: block ends and <br> as line breaks, other tags dropped, common entities decoded. */
function stripTags(html: string): string {
  const out: string[] = [];
  let last = 0;
  let skipUntil = '';
  for (const tag of tags(html)) {
    if (skipUntil) {
      if (!(tag.closing && tag.name === skipUntil)) continue;
      skipUntil = '';
      last = tag.end;
      continue;
    }
    out.push(html.slice(last, tag.start));
    last = tag.end;
    if (!tag.closing && (tag.name === 'script' || tag.name === 'style' || tag.name === 'head')) skipUntil = tag.name;
    else if (tag.name === 'br' || (tag.closing && BLOCK_ENDS.has(tag.name))) out.push('\n');
  }
  if (!skipUntil) out.push(html.slice(last));
  return decodeBasicEntities(out.join('')).replace(/[ \t]+/g, ' ');
}

const BLOCK_ENDS = new Set(['p', 'div', 'li', 'tr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'table']);

function decodeBasicEntities(text: string): string {
  return text.replace(/&(nbsp|lt|gt|quot|#39|amp);/gi, (_m, name: string) => BASIC_ENTITIES[name.toLowerCase()] ?? '');
}

const BASIC_ENTITIES: Record<string, string> = { nbsp: ' ', lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' };

/**
 * No-break spaces as spaces, trailing spaces off every line, runs of empty quote lines (">") and
 * of blank lines down to one, no blank lines at either end.
 */
function tidy(text: string): string {
  return text
    .replace(/[\u00a0\u2007\u202f]/g, ' ')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/^(>[> ]*)\n(?:\1\n)+/gm, '$1\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+/, '')
    .trimEnd();
}
