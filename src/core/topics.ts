import { CATEGORIES, type Category, type Manifestation } from './categories';
import type { Evidence, Rules } from './types';
import { compileCues, compilePatterns, matchCues, type TextUnits } from './cues';

/**
 * Topics (policy §3, §4): which categories the customer's words ask for, with the evidence,
 * after precedence (clinical alone, then ombudsman alone, the rest combine). Also the flags and
 * tips that depend on the words of a remaining route.
 */
export interface TopicOutcome {
  categories: Category[];
  manifestation: Manifestation | null;
  flags: string[];
  tips: string[];
  evidence: Evidence[];
}

const FIRST_INSTANCE = CATEGORIES.filter((c) => c !== 'ombudsman');

export function classifyTopics(units: TextUnits, rules: Rules): TopicOutcome {
  const strong: Category[] = [];
  const weak: Category[] = [];
  const evidence: Evidence[] = [];

  for (const category of FIRST_INSTANCE) {
    const topic = rules.topics[category];
    const view = withoutSentences(units, compilePatterns(topic.against));
    const match = matchCues(compileCues(topic.cues), view);
    if (!match) continue;
    (match.weak ? weak : strong).push(category);
    evidence.push({ about: category, text: match.evidence });
  }

  const ombudsman = findOmbudsman(units, rules);
  if (ombudsman) {
    strong.push('ombudsman');
    evidence.push({ about: 'ombudsman', text: ombudsman });
  }

  // A weak cue (the waiting room as the story of a cancelled consultation) decides nothing
  // when a strong cue of any category is present.
  let categories = strong.length > 0 ? strong : weak;
  if (categories.includes('clinical')) categories = ['clinical'];
  else if (categories.includes('ombudsman')) categories = ['ombudsman'];

  const kept = evidence.filter((e) => (categories as string[]).includes(e.about));
  const flags: string[] = [];
  const tips: string[] = [];
  if (categories.includes('refund')) {
    const view = withoutSentences(units, compilePatterns(rules.topics.refund.against));
    const match = matchCues(compileCues(rules.flags.multiple_charges.cues), view);
    if (match) {
      flags.push('multiple_charges');
      kept.push({ about: 'multiple_charges', text: match.evidence });
    }
  }
  if (categories.includes('technical')) {
    const match = matchCues(compileCues(rules.tips.zoom.cues), units);
    if (match) {
      tips.push('zoom');
      kept.push({ about: 'zoom', text: match.evidence });
    }
  }
  const manifestation = categories.includes('ombudsman') ? findManifestation(units, rules, kept) : null;
  return { categories: order(categories), manifestation, flags, tips, evidence: kept };
}

/** Addressed to the ombudsman, or an escalation: an earlier contact plus a formal channel (§4). */
function findOmbudsman(units: TextUnits, rules: Rules): string | null {
  const topic = rules.topics.ombudsman;
  const view = withoutSentences(units, compilePatterns(topic.against));
  const addressed = matchCues(compileCues(topic.cues), view);
  if (addressed) return `addressed to the ombudsman: ${addressed.evidence}`;
  const earlier = firstMatch(compilePatterns(topic.escalation), view.message);
  const formal = earlier ? firstMatch(compilePatterns(topic.formal), view.message) : null;
  return earlier && formal ? `escalation: ${earlier} … ${formal}` : null;
}

function findManifestation(units: TextUnits, rules: Rules, evidence: Evidence[]): Manifestation {
  const { order: kinds, cues, fallback } = rules.manifestations;
  for (const kind of kinds) {
    const list = cues[kind];
    if (!list) continue;
    const match = matchCues(compileCues(list), units);
    if (match) {
      evidence.push({ about: kind, text: match.evidence });
      return kind;
    }
  }
  return fallback;
}

/** The units without the sentences that one of `against` matches. */
function withoutSentences(units: TextUnits, against: RegExp[]): TextUnits {
  if (against.length === 0) return units;
  const drop = (s: string): boolean => against.some((re) => re.test(s));
  if (!units.sentences.some(drop)) return units;
  const sentences = units.sentences.filter((s) => !drop(s));
  const paragraphs = units.paragraphs.map((p) => {
    let kept = p;
    for (const s of units.sentences) if (drop(s)) kept = kept.replace(s, ' ');
    return kept.trim();
  });
  return { sentences, paragraphs: paragraphs.filter(Boolean), message: paragraphs.join('\n') };
}

function firstMatch(patterns: RegExp[], text: string): string | null {
  for (const re of patterns) {
    const m = re.exec(text);
    if (m) return m[0].trim();
  }
  return null;
}

function order(categories: Category[]): Category[] {
  return CATEGORIES.filter((c) => categories.includes(c));
}
