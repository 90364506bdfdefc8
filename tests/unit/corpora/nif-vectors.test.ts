import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RulesSchema } from '../../../src/config/schema';
import { findNif } from '../../../src/core/identity/find-nif';
import { hasIssuedPrefix, hasValidNifCheckDigit, isValidNif, normaliseNifDigits } from '../../../src/core/identity/nif';

/**
 * The public NIF test vectors in ../shared/corpora/pt-nif-vectors (see its README): every vector is
 * judged as its `valid_per_policy` field says, written as its source wrote it.
 */
const CORPUS = path('../../../../shared/corpora/pt-nif-vectors');

const nifRules = RulesSchema.shape.nif.parse(
  (parseYaml(readFileSync(resolve(__dirname, '../../../config/nif.yaml'), 'utf8')) as { nif: unknown }).nif,
);

interface Vector {
  as_written: string;
  source: string;
  source_expects: 'valid' | 'invalid';
  digits: string;
  nine_digits: boolean;
  check_digit_ok?: boolean;
  prefix_ok_per_policy?: boolean;
  valid_per_policy?: boolean;
  rejected_only_for_formatting?: boolean;
}

const vectors: Vector[] = readFileSync(join(CORPUS, 'vectors.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Vector);
const nineDigit = vectors.filter((v) => v.nine_digits);
const notNineDigit = vectors.filter((v) => !v.nine_digits);
const listed = (file: string): string[] =>
  readFileSync(join(CORPUS, file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** Written as the policy's plain forms: 9 digits, 3-3-3 with spaces, optional PT prefix. */
const PLAIN_FORM = /^(?:PT[ -]?)?(?:\d{9}|\d{3} \d{3} \d{3})$/;

describe('pt-nif-vectors corpus', () => {
  it('when the corpus is read, then it has the vectors its README lists', () => {
    expect(existsSync(join(CORPUS, 'README.md'))).toBe(true);
    expect(vectors).toHaveLength(137);
    expect(listed('nif-valid.txt')).toHaveLength(84);
    expect(listed('nif-invalid.txt')).toHaveLength(33);
    for (const v of nineDigit) expect(typeof v.valid_per_policy).toBe('boolean');
  });

  describe('when a 9-digit vector is judged, then isValidNif says what valid_per_policy says', () => {
    it.each(nineDigit.map((v) => [v.as_written, v.digits, v.valid_per_policy!, v] as const))(
      '%j (%s) valid=%s',
      (written, digits, valid, v) => {
        expect(normaliseNifDigits(written)).toBe(digits);
        expect(hasValidNifCheckDigit(digits)).toBe(v.check_digit_ok);
        expect(hasIssuedPrefix(digits, nifRules.issuedPrefixes)).toBe(v.prefix_ok_per_policy);
        expect(isValidNif(digits, nifRules)).toBe(valid);
      },
    );
  });

  describe('when a 9-digit vector is labelled as the NIF in a sentence, then findNif takes it with its verdict', () => {
    it.each(nineDigit.map((v) => [v.as_written, v.digits, v.valid_per_policy!] as const))(
      '%j',
      (written, digits, valid) => {
        for (const text of [`NIF: ${written}`, `O meu número de contribuinte é ${written}.`, `Tax number ${written}`]) {
          expect(findNif(text, nifRules)).toMatchObject({ nif: digits, valid, labelled: true });
        }
      },
    );
  });

  describe('when a plainly written vector stands unlabelled in a signature, then it is the NIF only if valid and not a mobile', () => {
    const plain = nineDigit.filter((v) => PLAIN_FORM.test(v.as_written));
    it.each(plain.map((v) => [v.as_written, v.digits, v.valid_per_policy!] as const))('%j', (written, digits, valid) => {
      const mobile = nifRules.mobilePrefixes.some((p) => digits.startsWith(p));
      const found = findNif(`Obrigada,\nMarta Vieira\n${written}`, nifRules);
      if (valid && !mobile) expect(found).toMatchObject({ nif: digits, valid: true, labelled: false });
      else expect(found).toBeNull();
    });
  });

  describe('when a vector is not nine digits, then it is no NIF, labelled or not', () => {
    it.each(notNineDigit.map((v) => [v.as_written] as const))('%j', (written) => {
      expect(normaliseNifDigits(written)).toBeNull();
      expect(findNif(`NIF: ${written}`, nifRules)).toBeNull();
      expect(findNif(written, nifRules)).toBeNull();
    });
  });

  it('when the .txt lists are judged, then nif-valid and nif-disputed are valid and nif-invalid is not', () => {
    for (const digits of [...listed('nif-valid.txt'), ...listed('nif-disputed.txt')]) {
      expect([digits, isValidNif(digits, nifRules)]).toEqual([digits, true]);
    }
    for (const digits of listed('nif-invalid.txt')) {
      expect([digits, isValidNif(digits, nifRules)]).toEqual([digits, false]);
    }
  });

  it('when the .txt lists are compared with vectors.jsonl, then each number has the same verdict there', () => {
    const verdict = new Map(nineDigit.map((v) => [v.digits, v.valid_per_policy]));
    for (const digits of [...listed('nif-valid.txt'), ...listed('nif-disputed.txt')]) expect([digits, verdict.get(digits)]).toEqual([digits, true]);
    for (const digits of listed('nif-invalid.txt')) expect([digits, verdict.get(digits)]).toEqual([digits, false]);
  });
});

function path(relative: string): string {
  return resolve(__dirname, relative);
}
