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

const NAME_WORD = /^(?:[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:['’-][A-Za-zÀ-ÖØ-öø-ÿ]+)*|[A-ZÀ-ÖØ-Þ]{2,}(?:['’-][A-ZÀ-ÖØ-Þ]+)*)$/u;
const CONNECTORS = new Set(['de', 'da', 'do', 'dos', 'das', 'e', "d'", 'del', 'van', 'von', 'di', 'DE', 'DA', 'DO', 'DOS', 'DAS', 'E']);
const TITLES = /^(?:d\.|dª|dr\.?|dra\.?|sr\.?|sra\.?|eng\.?|enga\.?|engª|prof\.?|profª|mr\.?|mrs\.?|ms\.?|dona)$/i;
const MAX_NAME_WORDS = 7;

export function findNome(text: string, rules: NomeRules): NomeFinding | null {
  if (!text.trim()) return null;
  const lines = text.split('\n');
  return (
    findAfter(lines, compilePatterns(rules.labels), rules, 'label') ??
    findAfter(lines, compilePatterns(rules.onBehalf), rules, 'written on behalf of') ??
    findAfter(lines, compilePatterns(rules.sentences), rules, 'sentence') ??
    findBesideNif(lines, rules) ??
    findSignature(lines, rules)
  );
}

/** A name right after one of the patterns (label, "chamo-me", "sou filha da utente"…). */
function findAfter(lines: string[], patterns: RegExp[], rules: NomeRules, how: string): NomeFinding | null {
  for (const line of lines) {
    const folded = fold(line);
    if (folded.length !== line.length) continue;
    for (const re of patterns) {
      const global = new RegExp(re.source, 'gmu');
      for (const m of folded.matchAll(global)) {
        const name = readName(line.slice((m.index ?? 0) + m[0].length), rules);
        if (name) return { nome: name, evidence: `${how}: "${line.trim().slice(0, 80)}"` };
      }
    }
  }
  return null;
}

/** A line that is a name, next to a line (or ending in a part) that gives the NIF. */
function findBesideNif(lines: string[], rules: NomeRules): NomeFinding | null {
  const nifLine = (line: string | undefined): boolean => !!line && /^\s*(?:o meu |meu )?(?:nif|contribuinte|n\.?[º°o]?\s*(?:de\s+)?contribuinte|tax number|numero de contribuinte)\b/.test(fold(line));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const inline = /^(.*?)\s*(?:[,–—-]|\s)\s*(?:nif|contribuinte|n\.?º de contribuinte)\b/i.exec(line);
    if (inline) {
      // "… o tratamento todo? Olga Maria Ferreira, NIF 239177223": the words after the last sentence end.
      const lastPart = inline[1]!.split(/[.!?:]\s+/).pop() ?? '';
      const name = wholeLineName(lastPart, rules);
      if (name) return { nome: name, evidence: `beside the NIF: "${line.trim().slice(0, 80)}"` };
    }
    if (!nifLine(lines[i + 1])) continue;
    const name = wholeLineName(line, rules);
    if (name) return { nome: name, evidence: `beside the NIF: "${line.trim()}"` };
  }
  return null;
}

/** The signature: the first name line after the last closing formula, else the last name line. */
function findSignature(lines: string[], rules: NomeRules): NomeFinding | null {
  const signOffs = compilePatterns(rules.signOffs);
  let lastSignOff = -1;
  lines.forEach((line, i) => {
    const folded = fold(line).trim();
    if (folded && folded.length < 60 && anyMatch(signOffs, folded)) lastSignOff = i;
  });
  if (lastSignOff >= 0) {
    // "Cumprimentos, Ana Martins" on one line.
    const sameLine = /^[^,]+,\s*(.+)$/.exec(lines[lastSignOff]!.trim());
    const inline = sameLine ? wholeLineName(sameLine[1]!, rules) : null;
    if (inline) return { nome: inline, evidence: `signature: "${lines[lastSignOff]!.trim()}"` };
    for (let i = lastSignOff + 1; i < lines.length && i <= lastSignOff + 4; i++) {
      const name = wholeLineName(lines[i]!, rules);
      if (name) return { nome: name, evidence: `signature: "${lines[i]!.trim()}"` };
    }
    return null;
  }
  const nonEmpty = lines.map((l, i) => ({ l, i })).filter(({ l }) => l.trim());
  for (const { l } of nonEmpty.slice(-4).reverse()) {
    const name = wholeLineName(l, rules);
    if (name) return { nome: name, evidence: `signature: "${l.trim()}"` };
  }
  return null;
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

/** Reads a name from the start of `text`: capitalised words and connectors, two words at least. */
function readName(text: string, rules: NomeRules): string | null {
  const notName = notNameWords(rules);
  const tokens = stripTitles(text.trim()).split(/\s+/);
  const words: string[] = [];
  for (const raw of tokens) {
    const token = raw.replace(/[,;:.!?)]+$/, '');
    const ended = token !== raw;
    if (NAME_WORD.test(token) && !notName.has(fold(token))) words.push(token);
    else if (CONNECTORS.has(token) && words.length > 0) words.push(token);
    else break;
    if (ended || words.length >= MAX_NAME_WORDS) break;
  }
  while (words.length > 0 && CONNECTORS.has(words[words.length - 1]!)) words.pop();
  const real = words.filter((w) => !CONNECTORS.has(w));
  if (real.length < 2) return null;
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

const notNameCache = new WeakMap<readonly string[], Set<string>>();
function notNameWords(rules: NomeRules): Set<string> {
  let set = notNameCache.get(rules.notNameWords);
  if (!set) {
    set = new Set(rules.notNameWords.map((w) => fold(w)));
    notNameCache.set(rules.notNameWords, set);
  }
  return set;
}
