import type { CueInput } from '../config/schema';
import { fold } from './text';

/**
 * Compiled vocabulary. Rules are deep-frozen, so each pattern list is compiled once and cached
 * by identity: deciding a message never compiles a regular expression.
 */
const compiledLists = new WeakMap<readonly string[], RegExp[]>();
const compiledCues = new WeakMap<readonly CueInput[], CompiledCue[]>();

export function compilePatterns(list: readonly string[]): RegExp[] {
  let compiled = compiledLists.get(list);
  if (!compiled) {
    compiled = list.map((source) => new RegExp(source, 'mu'));
    compiledLists.set(list, compiled);
  }
  return compiled;
}

export interface CompiledCue {
  all: RegExp[];
  scope: 'sentence' | 'paragraph' | 'message';
  context: RegExp[];
  weak: boolean;
}

export function compileCues(list: readonly CueInput[]): CompiledCue[] {
  let compiled = compiledCues.get(list);
  if (!compiled) {
    compiled = list.map((cue) =>
      typeof cue === 'string'
        ? { all: [new RegExp(cue, 'mu')], scope: 'sentence' as const, context: [], weak: false }
        : {
            all: cue.all.map((source) => new RegExp(source, 'mu')),
            scope: cue.scope ?? 'sentence',
            context: (cue.context ?? []).map((source) => new RegExp(source, 'mu')),
            weak: cue.weak ?? false,
          },
    );
    compiledCues.set(list, compiled);
  }
  return compiled;
}

/** Text cut into the units cues look at, every unit folded (lower case, no accents). */
export interface TextUnits {
  sentences: string[];
  paragraphs: string[];
  message: string;
}

/**
 * `abbreviations` (folded, whole words) are written in full first: "n me aparece o botao p
 * confirmar" is read as "nao me aparece o botao para confirmar".
 */
export function toUnits(text: string, abbreviations: Readonly<Record<string, string>> = {}): TextUnits {
  const folded = expandAbbreviations(fold(text), abbreviations);
  const paragraphs = folded
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .filter(Boolean);
  const sentences = joinListItems(paragraphs.flatMap((p) => splitSentences(p)));
  return { sentences, paragraphs, message: paragraphs.join('\n') };
}

const abbreviationPatterns = new WeakMap<object, RegExp | null>();

function expandAbbreviations(folded: string, abbreviations: Readonly<Record<string, string>>): string {
  let re = abbreviationPatterns.get(abbreviations);
  if (re === undefined) {
    const words = Object.keys(abbreviations).map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
    re = words.length > 0 ? new RegExp(`(?<![\\p{L}\\p{N}])(${words.join('|')})(?![\\p{L}\\p{N}])`, 'gu') : null;
    abbreviationPatterns.set(abbreviations, re);
  }
  return re ? folded.replace(re, (word) => abbreviations[word] ?? word) : folded;
}

const LIST_ITEM = /^(?:[-•*]|\d{1,2}[).]|[a-e]\))\s/;

/**
 * "Preciso de duas coisas:" followed by "- a declaração", "- a fatura": each item is read with
 * its lead sentence, so a request verb in the lead reaches every item.
 */
function joinListItems(sentences: string[]): string[] {
  let lead: string | null = null;
  return sentences.map((sentence) => {
    if (lead !== null && LIST_ITEM.test(sentence)) return `${lead} ${sentence}`;
    lead = sentence.endsWith(':') ? sentence : null;
    return sentence;
  });
}

/** Sentences end at . ! ? (kept) followed by a space, and at bullet or numbered-list starts. */
function splitSentences(paragraph: string): string[] {
  return paragraph
    .split(/(?<=[.!?])\s+|\s+(?=(?:[-•*]|\d\)|\d\.)\s)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface CueMatch {
  weak: boolean;
  /** The words that matched, for the evidence shown to agents. */
  evidence: string;
}

/** The first cue of the list that matches the units, with its evidence. */
export function matchCues(cues: readonly CompiledCue[], units: TextUnits): CueMatch | null {
  let weakMatch: CueMatch | null = null;
  for (const cue of cues) {
    if (weakMatch && cue.weak) continue;
    const evidence = matchCue(cue, units);
    if (evidence === null) continue;
    if (!cue.weak) return { weak: false, evidence };
    weakMatch = { weak: true, evidence };
  }
  return weakMatch;
}

export function matchCue(cue: CompiledCue, units: TextUnits): string | null {
  if (cue.context.length > 0 && !cue.context.some((re) => re.test(units.message))) return null;
  const pool = cue.scope === 'sentence' ? units.sentences : cue.scope === 'paragraph' ? units.paragraphs : [units.message];
  for (const unit of pool) {
    const found: string[] = [];
    for (const re of cue.all) {
      const m = re.exec(unit);
      if (!m) break;
      found.push(m[0].trim());
    }
    if (found.length === cue.all.length) return found.join(' … ');
  }
  return null;
}

export function anyMatch(patterns: readonly RegExp[], folded: string): RegExpExecArray | null {
  for (const re of patterns) {
    const m = re.exec(folded);
    if (m) return m;
  }
  return null;
}
