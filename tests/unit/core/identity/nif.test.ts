import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RulesSchema } from '../../../../src/config/schema';
import {
  hasIssuedPrefix,
  hasValidNifCheckDigit,
  isValidNif,
  normaliseNifDigits,
} from '../../../../src/core/identity/nif';

const nifRules = RulesSchema.shape.nif.parse(
  (parseYaml(readFileSync(resolve(__dirname, '../../../../config/nif.yaml'), 'utf8')) as { nif: unknown }).nif,
);
const POLICY_PREFIXES = ['1', '2', '3', '45', '5', '6', '70', '71', '72', '74', '75', '77', '78', '79', '8', '90', '91', '98', '99'];

describe('normaliseNifDigits', () => {
  it.each([
    ['123456789', '123456789'],
    ['123 456 789', '123456789'],
    ['123.456.789', '123456789'],
    ['123-456-789', '123456789'],
    ['PT123456789', '123456789'],
    ['pt 123 456 789', '123456789'],
    ['PT-284 715 930', '284715930'],
    ['PT 284715.930', '284715930'],
    ['28 471-593/0', '284715930'],
    ['  284715930  ', '284715930'],
  ])('when given %j, then it returns %j', (written, digits) => {
    expect(normaliseNifDigits(written)).toBe(digits);
  });

  it.each([['12345678'], ['1234567890'], ['ABC456789'], ['12345678O'], [''], ['PT'], ['DE123456789'], ['123,456,789']])(
    'when given %j, then it is not nine digits (null)',
    (written) => {
      expect(normaliseNifDigits(written)).toBeNull();
    },
  );
});

describe('hasValidNifCheckDigit', () => {
  // weights 9..2 on the first eight digits, r = sum mod 11, check = 0 if r < 2 else 11 - r
  it.each([
    ['123456789', true], // sum 156, r 2, check 9
    ['284715930', true], // sum 231, r 0, check 0
    ['100000010', true], // sum 12, r 1, check 0
    ['212345672', true],
    ['451239873', true],
    ['400000008', true], // check holds; the prefix is another question
    ['123456780', false],
    ['284715931', false],
    ['100000011', false],
    ['000000001', false],
    ['12345678', false],
    ['1234567890', false],
    ['12345678a', false],
    ['', false],
  ])('when the digits are %j, then the check digit holds is %s', (digits, expected) => {
    expect(hasValidNifCheckDigit(digits)).toBe(expected);
  });

  it('when each last digit 0-9 is tried, then exactly one holds', () => {
    for (const eight of ['12345678', '28471593', '10000001', '99999999', '00000000']) {
      const holding = '0123456789'.split('').filter((d) => hasValidNifCheckDigit(eight + d));
      expect(holding).toHaveLength(1);
    }
  });
});

describe('hasIssuedPrefix', () => {
  it.each([
    ['123456789', true],
    ['284715930', true],
    ['314159266', true],
    ['451239873', true],
    ['504123980', true],
    ['612345670', true],
    ['701234563', true],
    ['781234565', true],
    ['812345673', true],
    ['991234561', true],
    ['912345675', true],
    ['981234569', true],
    ['400000008', false], // 4 alone is not issued, only 45
    ['421876530', false],
    ['731234561', false], // 73 is not issued
    ['761234567', false],
    ['921234567', false],
    ['938754122', false],
    ['000000001', false],
    ['12345678', false],
  ])('when the digits are %j, then the prefix is issued is %s', (digits, expected) => {
    expect(hasIssuedPrefix(digits, POLICY_PREFIXES)).toBe(expected);
  });

  it('when the prefixes list is empty, then nothing is issued', () => {
    expect(hasIssuedPrefix('123456789', [])).toBe(false);
  });
});

describe('isValidNif', () => {
  it('when config/nif.yaml is read, then its issued prefixes are the policy ones', () => {
    expect([...nifRules.issuedPrefixes].sort()).toEqual([...POLICY_PREFIXES].sort());
  });

  it.each([
    ['123456789', true],
    ['284715930', true],
    ['451239873', true],
    ['781234565', true], // prefix 78 (listed as issued)
    ['912345675', true], // 91 is an issued prefix (only an unlabelled number is read as a mobile)
    ['284715931', false], // wrong check digit
    ['400000008', false], // check digit holds, prefix 4 not issued
    ['731234561', false], // check digit holds, prefix 73 not issued
    ['938754122', false], // check digit holds, prefix 93 not issued
    ['123 456 789', false], // not normalised
  ])('when the digits are %j, then it is valid is %s', (digits, expected) => {
    expect(isValidNif(digits, nifRules)).toBe(expected);
  });
});
