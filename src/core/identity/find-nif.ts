import { foldKeepingOffsets } from '../text';
import type { Rules } from '../types';
import { isValidNif } from './nif';

/**
 * Which 9-digit number in the customer's own words is their NIF (policy §2).
 *
 * 1. Every run of digits joined by single separators (a space or two, a dot, a hyphen, a slash)
 *    is split into the numbers it may hold: one 9-digit unit (`123456789`, `123.456.789`), or
 *    units joined by spaces that add up to nine digits (`123 456 789`, `PT 500135.495`). Nine
 *    digits inside a longer number (a CPF `nnn.nnn.nnn-nn`, an IBAN, a phone with its country
 *    code) are not one.
 * 2. The label that ends nearest before the number (the longer on a tie), within a short gap
 *    holding no other digits and no sentence break, says what it is; a label right after it
 *    (`912 345 678 (telemóvel)`) counts when none comes before. A NIF label makes it the
 *    customer's NIF, valid or not; any other label rules it out. A number on a company's line
 *    (legal form, share capital, registry), or with a company prefix in a company's paragraph,
 *    is the company's, unless the customer calls it theirs ("o meu NIF").
 * 3. An unlabelled number is the NIF only when valid, written as a NIF (not as a phone) and not
 *    starting with a mobile prefix.
 * 4. Labelled wins over unlabelled; among labelled ones a valid one, then the first.
 */

export interface NifFinding {
  /** 9 digits, no prefix or separators, also when invalid. */
  nif: string;
  valid: boolean;
  /** true when a NIF label points at it. */
  labelled: boolean;
  /** Short snippet as the customer wrote it, e.g. `NIF: 123 456 789`. */
  evidence: string;
}

/** Why a candidate is not taken as the NIF. */
export type NifExclusion =
  /** Labelled as something else: phone, utente, policy, card, reference, a company's NIPC. */
  | 'not-nif-label'
  /** The customer says right after it that it is not theirs ("…, que não é o meu"). */
  | 'disowned'
  /** A NIF/NIPC on a company's line (footer, letterhead, employer details). */
  | 'company'
  /** Written as a phone number: `+351`, `(+351)`, `00351`, or phone-style digit groups. */
  | 'phone'
  /** Unlabelled and starting with a mobile prefix. */
  | 'mobile'
  /** Part of a longer number (CPF, IBAN, long digit run). */
  | 'longer-number'
  /** Glued to letters or symbols: part of a code, address or link. */
  | 'code'
  /** An amount of money. */
  | 'amount'
  /** Unlabelled and not a valid NIF. */
  | 'invalid';

export interface NifCandidate {
  /** The digits (nine, except for a longer number reported with `longer-number`). */
  digits: string;
  /** As written in the text. */
  written: string;
  /** Offset of the first digit in the text. */
  index: number;
  /** Check digit and issued prefix hold. */
  valid: boolean;
  /** A NIF label points at it (not set for other labels). */
  labelled: boolean;
  /** The label that decides what the number is, as written, customer's NIF or not. */
  label: string | null;
  excluded: NifExclusion | null;
  evidence: string;
}

/** The customer's NIF in `text`, or null when none is given. */
export function findNif(text: string, rules: Rules['nif']): NifFinding | null {
  const candidates = findNifCandidates(text, rules);
  let labelled: NifCandidate | null = null;
  let unlabelled: NifCandidate | null = null;
  for (const candidate of candidates) {
    if (candidate.excluded !== null) continue;
    if (candidate.labelled) {
      if (labelled === null || (!labelled.valid && candidate.valid)) labelled = candidate;
    } else if (unlabelled === null) {
      unlabelled = candidate;
    }
  }
  const chosen = labelled ?? unlabelled;
  if (chosen === null) return null;
  return { nif: chosen.digits, valid: chosen.valid, labelled: chosen.labelled, evidence: chosen.evidence };
}

/** Every number that could be a NIF, in text order, with what was decided about it. */
export function findNifCandidates(text: string, rules: Rules['nif']): NifCandidate[] {
  const compiled = compile(rules);
  const folded = foldKeepingOffsets(text);
  const result: NifCandidate[] = [];
  DIGIT_CHUNK.lastIndex = 0;
  for (let m = DIGIT_CHUNK.exec(folded); m !== null; m = DIGIT_CHUNK.exec(folded)) {
    const units = splitUnits(m[0], m.index);
    if (countDigits(units) < 9) continue;
    const international = isInternationalPhone(folded, units);
    // Numbers written 3-3-3 one after another ("284 715 930 172 635 489") are read as such.
    if (!international && units.length % 3 === 0 && units.every((u) => u.digits.length === 3)) {
      for (let i = 0; i < units.length; i += 3) {
        result.push(describe(text, folded, units.slice(i, i + 3), 0, 2, false, rules, compiled));
      }
      continue;
    }
    for (let i = 0; i < units.length; i++) {
      const first = units[i]!;
      if (first.digits.length > 9) {
        result.push(describeLongNumber(text, folded, first, i));
        continue;
      }
      // A country code opens a phone number, not a NIF: the number after it is judged as a phone.
      if (i + 1 < units.length && COUNTRY_CODE.test(first.digits)) continue;
      let sum = 0;
      for (let j = i; j < units.length && sum < 9; j++) {
        sum += units[j]!.digits.length;
        if (sum === 9) result.push(describe(text, folded, units, i, j, international, rules, compiled));
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------

/** Digit groups joined by one separator each: a space (or two), a dot, a hyphen or a slash. */
const DIGIT_CHUNK = /\d+(?:(?:[ \t\u00a0\u2009\u202f]{1,2}|[.\-/\u2010-\u2013])\d+)*/g;
const SOFT_SEPARATOR = /[ \t\u00a0\u2009\u202f]/;

/** How far a label may end before its number, and how much text is searched for it (gap + label). */
const MAX_GAP = 40;
const LEFT_WINDOW = 100;
const RIGHT_WINDOW = 40;
/** Most words on a line that ends with a label whose number is on the next line. */
const LABEL_LINE_WORDS = 3;
/** How far before a label a possessive ("o meu", "my") is looked for. */
const OWNER_REACH = 12;
/** Longest line looked at for company markers on each side of the number. */
const LINE_REACH = 120;
/** How far the paragraph around a number is looked at for company markers, on each side. */
const PARAGRAPH_REACH = 300;

const COUNTRY_CODE = /^(?:00)?351$/;
const BLANK_LINE = /\n[ \t]*\n/g;
const INTERNATIONAL_BEFORE = /\+\s?$/;
const SENTENCE_BREAK = /[.!?]\s+\p{Lu}|[!?]/u;
const PHONE_PREFIX_BEFORE = /(?:\+\s?|\b00)351\)?[\s.\-]?$|\(\s*(?:\+|00)?\s*351\s*\)\s*[.\-]?\s*$|\+\s*$/;
const VAT_PREFIX_BEFORE = /(?:^|[^a-z0-9])(pt[\s.:\-]?)$/;
const GLUED_BEFORE = /[a-z0-9_@#/=&?%\\]$/;
const MONEY_BEFORE = /[€$£]\s?$/;
const GLUED_AFTER = /^[a-z_@%]/;
const MONEY_AFTER = /^(?:\s?(?:€|eur\b|euros?\b)|,\d)/;
const POSSESSIVE = /\b(?:meu|minha|my|mine)\b/;
const NEXT_NUMBER_AFTER_LABEL = /^[\s.:\-–]*(?:n[º°o]?\.?\s*)?[+(]?\d/;
const RIGHT_FILLER = /^[\s(\[\-–—:,]*(?:(?:e|sera|is|=)\s+)?(?:(?:o|a|my|the)\s+)?(?:(?:meu|minha)\s+)?/;

interface Unit {
  start: number;
  end: number;
  digits: string;
  /** Sizes of the digit groups inside the unit (joined by dots, hyphens or slashes). */
  groups: number[];
}

interface Label {
  start: number;
  end: number;
  nif: boolean;
}

/** How far after a number its disowning words are looked for. */
const DISOWNED_REACH = 40;

interface CompiledLabel {
  /** Sticky: does this label match at one place. */
  here: RegExp;
  nif: boolean;
}

interface Compiled {
  labels: CompiledLabel[];
  /** Labels that may match where the text starts with a given letter (those that must start with it, then `labelsAnyStart`). */
  labelsByFirstChar: Map<string, CompiledLabel[]>;
  labelsAnyStart: CompiledLabel[];
  /** Every label in one alternation: finds where some label starts in one pass (global). */
  anyLabel: RegExp;
  /** The same, sticky. */
  anyLabelHere: RegExp;
  /** Every company marker in one alternation, or null when there are none. */
  companyMarker: RegExp | null;
  /** Words right after a number that disown it, or null when there are none. */
  disowned: RegExp | null;
  companyPrefixes: readonly string[];
}

const compiledByRules = new WeakMap<Rules['nif'], Compiled>();

function compile(rules: Rules['nif']): Compiled {
  const cached = compiledByRules.get(rules);
  if (cached) return cached;
  const sources = [...rules.labels, ...rules.notNifLabels];
  const anyOf = (list: readonly string[]): string => list.map((s) => `(?:${s})`).join('|');
  // When every label starts at a word boundary, test the boundary once per place, not per label.
  const allAtWordStart = sources.every((s) => s.startsWith('\\b'));
  const anyLabelSource = allAtWordStart ? `\\b(?:${anyOf(sources.map((s) => s.slice(2)))})` : anyOf(sources);
  const markers = rules.companyMarkers ?? [];
  const labels = sources.map((source, i) => ({ here: new RegExp(source, 'yu'), nif: i < rules.labels.length }));
  const labelsByFirstChar = new Map<string, CompiledLabel[]>();
  const labelsAnyStart: CompiledLabel[] = [];
  labels.forEach((label, i) => {
    const first = fixedFirstChar(sources[i]!);
    if (first === null) labelsAnyStart.push(label);
    else labelsByFirstChar.set(first, [...(labelsByFirstChar.get(first) ?? []), label]);
  });
  for (const [first, bucket] of labelsByFirstChar) labelsByFirstChar.set(first, [...bucket, ...labelsAnyStart]);
  const compiled: Compiled = {
    labels,
    labelsByFirstChar,
    labelsAnyStart,
    anyLabel: new RegExp(anyLabelSource, 'gu'),
    anyLabelHere: new RegExp(anyLabelSource, 'yu'),
    companyMarker: markers.length > 0 ? new RegExp(anyOf(markers), 'u') : null,
    disowned: rules.disownedAfter.length > 0 ? new RegExp(`^(?:${anyOf(rules.disownedAfter)})`, 'u') : null,
    companyPrefixes: rules.companyPrefixes ?? [],
  };
  compiledByRules.set(rules, compiled);
  return compiled;
}

/**
 * The character every match of a pattern starts with, when the source makes it plain (`\\btel`,
 * `contribuinte`): a letter or digit, not optional, and no top-level alternation. Else null.
 */
function fixedFirstChar(source: string): string | null {
  const m = /^(?:\\b)?([a-z0-9])(?![?*{])/.exec(source);
  if (m === null) return null;
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return null;
  }
  return m[1]!;
}

function splitUnits(chunk: string, offset: number): Unit[] {
  const units: Unit[] = [];
  let current: Unit | null = null;
  const group = /\d+/g;
  for (let g = group.exec(chunk); g !== null; g = group.exec(chunk)) {
    const start = offset + g.index;
    const separator = g.index > 0 ? chunk[g.index - 1]! : ' ';
    if (current === null || SOFT_SEPARATOR.test(separator)) {
      current = { start, end: start + g[0].length, digits: g[0], groups: [g[0].length] };
      units.push(current);
    } else {
      current.end = start + g[0].length;
      current.digits += g[0];
      current.groups.push(g[0].length);
    }
  }
  return units;
}

function countDigits(units: Unit[]): number {
  return units.reduce((n, u) => n + u.digits.length, 0);
}

function describeLongNumber(text: string, folded: string, unit: Unit, i: number): NifCandidate {
  const before = folded.slice(Math.max(0, unit.start - 8), unit.start);
  const phone = i === 0 && /\+\s?$/.test(before);
  return {
    digits: unit.digits,
    written: text.slice(unit.start, unit.end),
    index: unit.start,
    valid: false,
    labelled: false,
    label: null,
    excluded: phone ? 'phone' : 'longer-number',
    evidence: squeeze(text.slice(unit.start, unit.end)),
  };
}

function describe(
  text: string,
  folded: string,
  units: Unit[],
  i: number,
  j: number,
  international: boolean,
  rules: Rules['nif'],
  compiled: Compiled,
): NifCandidate {
  const first = units[i]!;
  const last = units[j]!;
  const start = first.start;
  const end = last.end;
  let digits = '';
  const groups: number[] = [];
  for (let k = i; k <= j; k++) {
    digits += units[k]!.digits;
    groups.push(...units[k]!.groups);
  }
  const written = text.slice(start, end);
  const valid = isValidNif(digits, rules);
  const candidate: NifCandidate = {
    digits,
    written,
    index: start,
    valid,
    labelled: false,
    label: null,
    excluded: null,
    evidence: squeeze(written),
  };
  const exclude = (reason: NifExclusion): NifCandidate => {
    candidate.excluded = reason;
    return candidate;
  };

  const before = folded.slice(Math.max(0, start - 12), start);
  const after = folded.slice(end, end + 8);
  const neighbourBefore = units[i - 1];
  const neighbourAfter = units[j + 1];

  // How it is written: as a phone, glued into a code, an amount, a piece of a longer number.
  if (international) return exclude('phone');
  if (neighbourBefore ? COUNTRY_CODE.test(neighbourBefore.digits) : PHONE_PREFIX_BEFORE.test(before)) {
    return exclude('phone');
  }
  const labelBefore = findLabelBefore(text, folded, start, compiled);
  const vatPrefix = neighbourBefore ? null : VAT_PREFIX_BEFORE.exec(before);
  // Letters right against the number are a code ("ABC123456789"), unless they are its label ("nif123456789").
  if (!neighbourBefore && !vatPrefix && labelBefore?.end !== start) {
    if (MONEY_BEFORE.test(before)) return exclude('amount');
    if (GLUED_BEFORE.test(before)) return exclude('code');
  }
  if (!neighbourAfter) {
    if (MONEY_AFTER.test(after)) return exclude('amount');
    if (GLUED_AFTER.test(after) && !startsWithLabel(folded, end, compiled)) return exclude('code');
  }
  if (j > i && (neighbourBefore || neighbourAfter)) return exclude('longer-number');
  if (compiled.disowned?.test(folded.slice(end, end + DISOWNED_REACH))) return exclude('disowned');

  // What it is labelled as.
  const label = labelBefore ?? findLabelAfter(folded, end, compiled);
  if (label) {
    candidate.label = squeeze(text.slice(label.start, label.end));
    if (!label.nif) return exclude('not-nif-label');
    candidate.labelled = true;
    // "o meu NIF": the customer calls it theirs, whatever else the line says.
    const ownWords = folded.slice(Math.max(0, Math.min(label.start, start) - OWNER_REACH), Math.max(label.end, start));
    if (!POSSESSIVE.test(ownWords) && isCompanyNumber(folded, start, end, digits, compiled)) return exclude('company');
    candidate.evidence = labelEvidence(text, label, start, end);
    return candidate;
  }

  // Unlabelled: only a valid NIF, written as one, that is not a mobile number.
  if (isCompanyNumber(folded, start, end, digits, compiled)) return exclude('company');
  const writtenAsNif = vatPrefix !== null || groups.length === 1 || (groups.length === 3 && groups.every((g) => g === 3));
  if (!writtenAsNif) return exclude('phone');
  if (rules.mobilePrefixes.some((p) => digits.startsWith(p))) return exclude('mobile');
  if (!valid) return exclude('invalid');
  if (vatPrefix) candidate.evidence = squeeze(text.slice(start - vatPrefix[1]!.length, end));
  return candidate;
}

/** The labels that may match at a place starting with `c`. */
function labelsStartingWith(compiled: Compiled, c: string): CompiledLabel[] {
  return compiled.labelsByFirstChar.get(c) ?? compiled.labelsAnyStart;
}

/** Digits that follow `+` or open with an international `00` prefix: a phone, whatever they hold. */
function isInternationalPhone(folded: string, units: Unit[]): boolean {
  const first = units[0]!;
  if (INTERNATIONAL_BEFORE.test(folded.slice(Math.max(0, first.start - 3), first.start))) return true;
  return units.length > 1 && /^00\d{1,3}$/.test(first.digits);
}

/** Whether a label (of either kind) starts at `at`. */
function startsWithLabel(folded: string, at: number, compiled: Compiled): boolean {
  compiled.anyLabelHere.lastIndex = 0;
  return compiled.anyLabelHere.test(folded.slice(at, at + RIGHT_WINDOW));
}

/**
 * The label ending nearest before `start` (longest on a tie), if the gap to the number is short,
 * holds no other number and does not cross a sentence ("… o vosso contacto. Ana Silva 2…").
 */
function findLabelBefore(text: string, folded: string, start: number, compiled: Compiled): Label | null {
  let from = Math.max(0, start - LEFT_WINDOW);
  while (from > 0 && /\w/.test(folded[from - 1]!)) from--;
  // One digit past the start, for patterns that look ahead at the number.
  const window = folded.slice(from, start + 1);
  const limit = start - from;
  let best: Label | null = null;
  // Where some label starts (one pass), then which labels match there and where each ends.
  const any = compiled.anyLabel;
  any.lastIndex = 0;
  for (let m = any.exec(window); m !== null && m.index < limit; m = any.exec(window)) {
    const at = m.index;
    any.lastIndex = at + 1;
    for (const label of labelsStartingWith(compiled, window[at]!)) {
      label.here.lastIndex = at;
      const hit = label.here.exec(window);
      if (hit === null || hit[0].length === 0) continue;
      const end = at + hit[0].length;
      if (end > limit) continue;
      if (best === null || from + end > best.end || (from + end === best.end && from + at < best.start)) {
        best = { start: from + at, end: from + end, nif: label.nif };
      }
    }
  }
  if (best === null) return null;
  const gap = text.slice(best.end, start);
  if (gap.length > MAX_GAP || /\d/.test(gap) || SENTENCE_BREAK.test(gap)) return null;
  const newlines = (gap.match(/\n/g) ?? []).length;
  if (newlines > 1) return null;
  if (newlines === 1 && !gap.slice(0, gap.indexOf('\n')).includes(':')) {
    // A label alone before a line break ("NIF\n…", "Nº de contribuinte\n…"), not a sentence ending so.
    const lineStart = folded.lastIndexOf('\n', best.start - 1) + 1;
    if (folded.slice(lineStart, best.end).trim().split(/\s+/).length > LABEL_LINE_WORDS) return null;
  }
  return best;
}

/** A label right after the number (`912 345 678 (telemóvel)`, `123456789 é o meu NIF`). */
function findLabelAfter(folded: string, end: number, compiled: Compiled): Label | null {
  const lineEnd = folded.indexOf('\n', end);
  const window = folded.slice(end, Math.min(end + RIGHT_WINDOW, lineEnd === -1 ? folded.length : lineEnd));
  const filler = RIGHT_FILLER.exec(window)?.[0] ?? '';
  if (filler.length === window.length) return null;
  compiled.anyLabelHere.lastIndex = filler.length;
  if (!compiled.anyLabelHere.test(window)) return null;
  let best: Label | null = null;
  for (const label of compiled.labels) {
    const re = label.here;
    re.lastIndex = filler.length;
    const m = re.exec(window);
    if (m === null || m[0].length === 0) continue;
    const labelEnd = filler.length + m[0].length;
    if (best === null || end + labelEnd > best.end) best = { start: end + filler.length, end: end + labelEnd, nif: label.nif };
  }
  if (best === null) return null;
  // A label followed by a number belongs to that number.
  if (NEXT_NUMBER_AFTER_LABEL.test(folded.slice(best.end, best.end + 12))) return null;
  return best;
}

/**
 * A company's number: on a line with a company marker (`Alfa, Lda. | NIF …`), or starting with a
 * company prefix in a paragraph with one (a signature block naming the employer, then its NIF).
 */
function isCompanyNumber(folded: string, start: number, end: number, digits: string, compiled: Compiled): boolean {
  const marker = compiled.companyMarker;
  if (marker === null) return false;
  const lineStart = Math.max(folded.lastIndexOf('\n', start - 1) + 1, start - LINE_REACH);
  const lineEndAt = folded.indexOf('\n', end);
  const lineEnd = Math.min(lineEndAt === -1 ? folded.length : lineEndAt, end + LINE_REACH);
  if (marker.test(folded.slice(lineStart, lineEnd))) return true;
  if (!compiled.companyPrefixes.some((p) => digits.startsWith(p))) return false;
  // The paragraph: back to the last blank line before the number, on to the first one after it.
  const reach = folded.slice(Math.max(0, start - PARAGRAPH_REACH), start);
  let paragraphStart = 0;
  for (const blank of reach.matchAll(BLANK_LINE)) paragraphStart = blank.index;
  const before = reach.slice(paragraphStart);
  const after = folded.slice(end, end + PARAGRAPH_REACH);
  const afterEnd = after.search(BLANK_LINE);
  return marker.test(before) || marker.test(afterEnd === -1 ? after : after.slice(0, afterEnd));
}

function labelEvidence(text: string, label: Label, start: number, end: number): string {
  if (label.start > end) return squeeze(text.slice(start, label.end));
  const gap = text.slice(label.end, start);
  const labelText = text.slice(label.start, label.end);
  const shortGap = gap.length <= 16 ? gap : ` … `;
  return squeeze(labelText + shortGap + text.slice(start, end));
}

function squeeze(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
