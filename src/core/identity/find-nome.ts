import type { Rules } from '../types';
import { anyMatch, compilePatterns } from '../cues';
import { fold } from '../text';

/**
 * NOME (policy §2): the customer's full name (two words at least) in their own words — after a
 * label, in a sentence, as the patient when someone writes on their behalf, next to the NIF, or
 * as the signature closing the message. The From display name never counts.
 */
export interface NomeFinding {
  nome: string;
  evidence: string;
}

type NomeRules = Rules['nome'];

const NAME_WORD = /^(?:[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:['’-][A-Za-zÀ-ÖØ-öø-ÿ]+)*|[A-ZÀ-ÖØ-Þ]['’][A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ]+(?:-[A-Za-zÀ-ÖØ-öø-ÿ]+)*|[dD]['’][A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+|[A-ZÀ-ÖØ-Þ]{2,}(?:['’-][A-ZÀ-ÖØ-Þ]+)*)$/u;
const ALL_CAPS = /^[A-ZÀ-ÖØ-Þ'’-]+$/u;
/** A lower-case word, accepted only right after a label ("Nome completo: joana ribeiro"). */
const LOWER_WORD = /^[a-zà-öø-ÿ]+(?:['’-][a-zà-öø-ÿ]+)*$/u;
const CONNECTORS = new Set(['de', 'da', 'do', 'dos', 'das', 'e', "d'", 'del', 'van', 'von', 'di', 'DE', 'DA', 'DO', 'DOS', 'DAS', 'E']);
const TITLES = /^(?:d\.?[ªº]?|dr\.?[ªº]?|dra\.?|sr\.?[ªº]?|sra\.?|eng\.?[ªº]?|enga\.?|prof\.?[ªº]?|profa\.?|doutor[a]?|mr\.?|mrs\.?|ms\.?|miss|dona|dom)$/i;
/** Most words a name written in capitals runs to before it is more likely the sentence going on. */
const MAX_CAPS_NAME_WORDS = 4;
const MAX_NAME_WORDS = 7;

/**
 * `commonWords` (folded function words of the customers' languages) keep a lower-case sentence
 * after a label ("Nome: está errado no atestado") from being read as a name.
 */
export function findNome(text: string, rules: NomeRules, commonWords: ReadonlySet<string> = new Set()): NomeFinding | null {
  if (!text.trim()) return null;
  const lines = text.split('\n');
  const folded = lines.map(fold);
  return (
    findAfter(lines, folded, compilePatterns(rules.labels), rules, 'label', commonWords, true) ??
    findAfter(lines, folded, compilePatterns(rules.onBehalf), rules, 'written on behalf of', commonWords) ??
    findAfter(lines, folded, compilePatterns(rules.sentences), rules, 'sentence', commonWords) ??
    findBesideNif(lines, folded, rules, commonWords) ??
    // Someone writing for the patient signs with their own name, which is never NOME.
    (writesOnBehalf(folded, rules) ? null : findSignature(lines, folded, rules))
  );
}

function writesOnBehalf(foldedLines: string[], rules: NomeRules): boolean {
  const declarations = compilePatterns(rules.onBehalfDeclarations);
  return declarations.length > 0 && foldedLines.some((line) => anyMatch(declarations, line) !== null);
}

/** A name right after one of the patterns (label, "chamo-me", "sou filha da utente"…). */
function findAfter(
  lines: string[],
  foldedLines: string[],
  patterns: RegExp[],
  rules: NomeRules,
  how: string,
  commonWords: ReadonlySet<string>,
  lenient = false,
): NomeFinding | null {
  const global = globalPatterns(patterns);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const folded = foldedLines[i]!;
    // Every pattern needs Latin letters; lines in other scripts are passed over cheaply.
    if (!HAS_LATIN.test(folded) || folded.length !== line.length) continue;
    for (const re of global) {
      re.lastIndex = 0;
      for (const m of folded.matchAll(re)) {
        const name = readName(line.slice((m.index ?? 0) + m[0].length), rules, commonWords, lenient);
        if (name) return { nome: name, evidence: how };
      }
    }
  }
  return null;
}

const HAS_LATIN = /[a-z]/;
const EMPTY: ReadonlySet<string> = new Set();

const globalCache = new WeakMap<RegExp[], RegExp[]>();
function globalPatterns(patterns: RegExp[]): RegExp[] {
  let global = globalCache.get(patterns);
  if (!global) {
    global = patterns.map((re) => new RegExp(re.source, 'gmu'));
    globalCache.set(patterns, global);
  }
  return global;
}

/** A line that is a name, next to a line (or ending in a part) that gives the NIF. */
function findBesideNif(lines: string[], foldedLines: string[], rules: NomeRules, commonWords: ReadonlySet<string>): NomeFinding | null {
  const nifLine = (folded: string | undefined): boolean =>
    !!folded && /^\s*(?:o meu |meu )?(?:nif|contribuinte|n\.?[º°o]?\s*(?:de\s+)?contribuinte|tax number|numero de contribuinte)\b/.test(folded);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const inline =
      /^(.*?)\s*(?:[,–—-]|\s)\s*(?:nif|contribuinte|n\.?º de contribuinte)\b/i.exec(line) ??
      // "Henrique Vidal Sousa - 160988322": the name, a dash and the bare number.
      /^(.*?)\s*[,–—-]\s*(?:PT)?\d{3}[ .]?\d{3}[ .]?\d{3}\s*$/.exec(line);
    if (inline) {
      // "… o tratamento todo? Olga Maria Ferreira, NIF 239177223": the words after the last sentence end.
      const lastPart = inline[1]!.split(/[.!?:]\s+/).pop() ?? '';
      const name = wholeLineName(lastPart, rules);
      if (name) return { nome: name, evidence: 'the name beside the NIF' };
    }
    if (!nifLine(foldedLines[i + 1])) continue;
    // A whole line right above the NIF is a name even when typed without capitals.
    const name = wholeLineName(line, rules) ?? lowerCaseNameLine(line, rules, commonWords);
    if (name) return { nome: name, evidence: 'the name beside the NIF' };
  }
  return null;
}

/** The signature: the first name line after the last closing formula, else the last name line. */
function findSignature(lines: string[], foldedLines: string[], rules: NomeRules): NomeFinding | null {
  const signOffs = compilePatterns(rules.signOffs);
  let lastSignOff = -1;
  foldedLines.forEach((line, i) => {
    const folded = line.trim();
    if (folded && folded.length < 60 && anyMatch(signOffs, folded)) lastSignOff = i;
  });
  if (lastSignOff >= 0) {
    // "Cumprimentos, Ana Martins" on one line.
    const sameLine = /^[^,–—-]+?\s*[,–—-]+\s*(.+)$/.exec(lines[lastSignOff]!.trim());
    const inline = sameLine ? wholeLineName(sameLine[1]!, rules) : null;
    if (inline) return { nome: inline, evidence: 'the signature' };
    // The signature is the first person's line after the closing formula. A one-word signature
    // ends the search (the role or department below it is not a name); a line naming no person
    // ("A Direção") is passed over.
    let seen = 0;
    for (let i = lastSignOff + 1; i < lines.length && seen < 3; i++) {
      const line = lines[i]!.trim();
      if (!line) continue;
      seen++;
      const name = wholeLineName(line, rules);
      if (name) return { nome: name, evidence: 'the signature' };
      if (isSingleName(line, rules)) return null;
    }
    return null;
  }
  const nonEmpty = lines.map((l, i) => ({ l, i })).filter(({ l }) => l.trim());
  for (const { l } of nonEmpty.slice(-4).reverse()) {
    const name = wholeLineName(l, rules);
    if (name) return { nome: name, evidence: 'the signature' };
  }
  return null;
}

/** "andre filipe lopes": a line of two to five lower-case words, none common, none a sign-off. */
function lowerCaseNameLine(line: string, rules: NomeRules, commonWords: ReadonlySet<string>): string | null {
  const cleaned = line.trim().replace(/[,;:.]$/, '');
  const words = cleaned.split(/\s+/);
  if (words.length < 2 || words.length > 5 || anyMatch(compilePatterns(rules.signOffs), fold(cleaned))) return null;
  const name = readName(cleaned, rules, commonWords, true);
  return name && name === cleaned ? name : null;
}

/** A line that is one name-like word ("Joana", "Tom,"): a first-name-only signature. */
function isSingleName(line: string, rules: NomeRules): boolean {
  const word = stripTitles(line).replace(/[,;:.!]+$/, '').trim();
  return !/\s/.test(word) && NAME_WORD.test(word) && !notNameWords(rules).has(fold(word)) && !relationWords(rules).has(fold(word));
}

/** The line is a person's name and nothing else (a title before, a role in parentheses after). */
function wholeLineName(line: string, rules: NomeRules): string | null {
  const cleaned = line
    .trim()
    .replace(/\s*\([^)]*\)\s*$/, '')
    .replace(/,\s*(?:md|phd|msc|mba|dr|jr|sr)\.?$/i, '')
    .replace(/[,;:]$/, '')
    .trim();
  if (!cleaned || cleaned.length > 70 || /[.!?]$/.test(cleaned) && !/\b[A-Z]\.$/.test(cleaned)) return null;
  const name = readName(cleaned, rules);
  return name && normaliseSpaces(name) === normaliseSpaces(stripTitles(cleaned)) ? name : null;
}

/**
 * Reads a name from the start of `text`: capitalised words and connectors, two words at least.
 * After a label (`lenient`) lower-case words count too, unless one is a common word; a word in
 * capitals that is a common word (`commonWords`) ends the name.
 */
function readName(text: string, rules: NomeRules, commonWords: ReadonlySet<string> = EMPTY, lenient = false): string | null {
  const notName = notNameWords(rules);
  const tokens = stripTitles(text.trim()).split(/\s+/);
  const words: string[] = [];
  let capitals = 0;
  for (const raw of tokens) {
    const token = raw.replace(/[,;:.!?)]+$/, '');
    const ended = token !== raw;
    const folded = fold(token);
    if (CONNECTORS.has(token) && words.length > 0) {
      // In capitals "E" is far more often "and" than part of a name.
      if (token === 'E' && capitals > 0) break;
      words.push(token);
    } else if (
      (NAME_WORD.test(token) || (lenient && LOWER_WORD.test(token))) &&
      !notName.has(folded) &&
      !(words.length === 0 && relationWords(rules).has(folded))
    ) {
      // In capitals a common word ("O MEU FILHO DIZ QUE…") is the sentence going on, not a name.
      if (ALL_CAPS.test(token) && commonWords.has(folded)) break;
      if (ALL_CAPS.test(token) && token.length > 1) capitals++;
      if (capitals > MAX_CAPS_NAME_WORDS) break;
      words.push(token);
    } else break;
    if (ended || words.length >= MAX_NAME_WORDS) break;
  }
  while (words.length > 0 && CONNECTORS.has(words[words.length - 1]!)) words.pop();
  const real = words.filter((w) => !CONNECTORS.has(w));
  if (real.length < 2) return null;
  // A lenient read must still look like a name: no common word of the language.
  if (lenient && real.some((w) => notName.has(fold(w)) || (w === w.toLowerCase() && commonWords.has(fold(w))))) return null;
  return words.join(' ');
}

function stripTitles(text: string): string {
  const tokens = text.split(/\s+/);
  while (tokens.length > 0 && TITLES.test(tokens[0]!)) tokens.shift();
  return tokens.join(' ');
}

function normaliseSpaces(text: string): string {
  return text.replace(/[,;:.!?]+$/, '').replace(/\s+/g, ' ').trim();
}

const relationCache = new WeakMap<readonly string[], Set<string>>();
function relationWords(rules: NomeRules): Set<string> {
  let set = relationCache.get(rules.relationWords);
  if (!set) {
    set = new Set(rules.relationWords.map((w) => fold(w)));
    relationCache.set(rules.relationWords, set);
  }
  return set;
}

const notNameCache = new WeakMap<readonly string[], Set<string>>();
function notNameWords(rules: NomeRules): Set<string> {
  let set = notNameCache.get(rules.notNameWords);
  if (!set) {
    set = new Set(rules.notNameWords.map((w) => fold(w)));
    notNameCache.set(rules.notNameWords, set);
  }
  return set;
}
