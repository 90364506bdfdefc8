/**
 * Text normalisation shared by the core: every pattern in config/ is matched against folded text.
 */

/** Lower-case and strip diacritics (NFD, combining marks removed): "Resposta Automática" → "resposta automatica". */
export function fold(text: string): string {
  // Plain ASCII has no accents to strip: lower-casing is all (most lines of most messages).
  if (ASCII.test(text)) return text.toLowerCase();
  // Only Latin letters with diacritics (and ª º °) change; each is folded once and cached, so
  // long texts in other scripts are not normalised character by character.
  let out = text.toLowerCase().replace(LATIN_WITH_MARKS, foldLatinChar);
  if (COMBINING_MARK.test(out)) out = out.normalize('NFD').replace(COMBINING_MARKS, '');
  return out;
}

const LATIN_WITH_MARKS = /[\u00aa\u00b0\u00ba\u00c0-\u024f\u1e00-\u1eff]/g;
const COMBINING_MARKS = /[\u0300-\u036f]/g;
const latinCache = new Map<string, string>();

function foldLatinChar(c: string): string {
  let folded = latinCache.get(c);
  if (folded === undefined) {
    folded = c === 'ª' ? 'a' : c === 'º' || c === '°' ? 'o' : c.normalize('NFD').replace(COMBINING_MARKS, '');
    latinCache.set(c, folded);
  }
  return folded;
}

/**
 * `fold`, one UTF-16 unit in for one out, so an offset in the folded text is the same offset in
 * the original (evidence can quote the customer's own spelling). A character whose folded form
 * is not a single unit (a lone combining mark, a ligature) is kept as it is.
 */
export function foldKeepingOffsets(text: string): string {
  // Fast path: with no combining mark in the input, every character folds to at least one unit,
  // so an unchanged length means one unit each.
  if (!COMBINING_MARK.test(text)) {
    const folded = fold(text);
    if (folded.length === text.length) return folded;
  }
  return text.replace(/[A-Z]|[^\x00-\x7f]/g, (c) => {
    const folded = fold(c);
    return folded.length === 1 ? folded : c;
  });
}

const COMBINING_MARK = /[\u0300-\u036f]/;
const ASCII = /^[\x00-\x7f]*$/;
