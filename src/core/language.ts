import type { Language, Rules } from './types';
import { fold } from './text';

/**
 * `en` when the customer's own words are English, else `pt` (policy §6): a Spanish or French
 * message gets `pt`. Counts common function words of each language.
 */
export function detectLanguage(text: string, rules: Rules): Language {
  const { english, portuguese } = wordSets(rules);
  let en = 0;
  let pt = 0;
  for (const word of fold(text).match(/[a-z']+/g) ?? []) {
    if (english.has(word)) en++;
    if (portuguese.has(word)) pt++;
  }
  return en >= 3 && en > pt * 1.5 ? 'en' : 'pt';
}

const cache = new WeakMap<Rules['language'], { english: Set<string>; portuguese: Set<string> }>();
function wordSets(rules: Rules): { english: Set<string>; portuguese: Set<string> } {
  let sets = cache.get(rules.language);
  if (!sets) {
    sets = {
      english: new Set(rules.language.englishWords.map(fold)),
      portuguese: new Set(rules.language.portugueseWords.map(fold)),
    };
    cache.set(rules.language, sets);
  }
  return sets;
}
