import type { Rules } from '../types';

/**
 * The Portuguese tax number (NIF) as the procedure defines it (policy §2): nine digits whose last
 * digit is a mod-11 check digit over the first eight, with an issued first digit (or two).
 */

const NIF_WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2] as const;
const NINE_DIGITS = /^\d{9}$/;

/**
 * A NIF as written (`123 456 789`, `123.456.789`, `PT123456789`, `PT-505 856 468`, `29 999-999/8`)
 * → its nine digits, or null when what is left after dropping the `PT` prefix and the separators
 * (spaces, dots, hyphens, slashes) is not exactly nine digits.
 */
export function normaliseNifDigits(written: string): string | null {
  const compact = written
    .trim()
    .replace(/^pt[\s.:\-]*/i, '')
    .replace(/[\s.\-/\u2010-\u2015]+/g, '');
  return NINE_DIGITS.test(compact) ? compact : null;
}

/**
 * The mod-11 check: weights 9..2 on the first eight digits, r = sum mod 11, the ninth digit must
 * be 0 when r < 2, else 11 - r. False for anything that is not nine digits.
 */
export function hasValidNifCheckDigit(digits: string): boolean {
  if (!NINE_DIGITS.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < NIF_WEIGHTS.length; i++) {
    sum += (digits.charCodeAt(i) - 48) * NIF_WEIGHTS[i]!;
  }
  const r = sum % 11;
  const check = r < 2 ? 0 : 11 - r;
  return digits.charCodeAt(8) - 48 === check;
}

/** Whether the number starts with one of the issued prefixes (first digit or first two). */
export function hasIssuedPrefix(digits: string, prefixes: readonly string[]): boolean {
  if (!NINE_DIGITS.test(digits)) return false;
  return prefixes.some((prefix) => prefix.length > 0 && digits.startsWith(prefix));
}

/** Valid per policy: nine digits, the check digit holds and the prefix is issued. */
export function isValidNif(digits: string, rules: Rules['nif']): boolean {
  return hasValidNifCheckDigit(digits) && hasIssuedPrefix(digits, rules.issuedPrefixes);
}
