/**
 * Text normalisation shared by the core: every pattern in config/ is matched against folded text.
 */

/** Lower-case and strip diacritics (NFD, combining marks removed): "Resposta Automática" → "resposta automatica". */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[ªº°]/g, (c) => (c === 'ª' ? 'a' : 'o'));
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
