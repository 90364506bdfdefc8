import type { Language, Rules } from './types';
import { fold } from './text';

/**
 * `en` when the customer's own words are English, `pt` when they are not (policy §6: a Spanish
 * or French message gets `pt`), null when there are too few words to tell (a reply with only a
 * name and a NIF keeps the case's language). Counts common function words of each language,
 * leaving out quoted strings: an English error message pasted into Portuguese text is not the
 * customer's language.
 */
export function detectLanguage(text: string, rules: Rules): Language | null {
  const { english, portuguese } = commonWords(rules);
  const own = fold(text).replace(/"[^"\n]{0,400}"|“[^”\n]{0,400}”|«[^»\n]{0,400}»/g, ' ');
  let en = 0;
  let pt = 0;
  const words = own.match(/[a-z']+/g) ?? [];
  for (const word of words) {
    if (english.has(word)) en++;
    if (portuguese.has(word)) pt++;
  }
  if (en >= 3 && en > pt * 1.5) return 'en';
  if (words.length < MIN_WORDS && en + pt < 3) return null;
  return 'pt';
}

/** Fewer words than this, and hardly any common ones, tell nothing (a name and a NIF). */
const MIN_WORDS = 5;

export interface CommonWords {
  english: ReadonlySet<string>;
  portuguese: ReadonlySet<string>;
  /** Both lists together. */
  all: ReadonlySet<string>;
}

const cache = new WeakMap<Rules['language'], CommonWords>();

/** The folded function words of the customers' languages, from rules.language. */
export function commonWords(rules: Rules): CommonWords {
  let sets = cache.get(rules.language);
  if (!sets) {
    const english = new Set(rules.language.englishWords.map(fold));
    const portuguese = new Set(rules.language.portugueseWords.map(fold));
    sets = { english, portuguese, all: new Set([...english, ...portuguese]) };
    cache.set(rules.language, sets);
  }
  return sets;
}
