import { createHmac } from 'node:crypto';
import {
  CASE_TOKEN_LENGTH,
  buildReplyAddress,
  findReplyAddress,
  parseReplyAddress,
  signCaseToken,
  verifyCaseToken,
} from '../../../src/core/reply-token';

const SECRET = 'test-secret-0123456789abcdef';
const OTHER_SECRET = 'another-secret-0123456789abcdef';
const INBOX = 'suporte@x.pt';
const REF = 'MO-2026-000123';

describe('signCaseToken', () => {
  it('when signing a reference, then the token is 20 lower-case base32 characters', () => {
    const token = signCaseToken(REF, SECRET);
    expect(token).toMatch(new RegExp(`^[a-z2-7]{${CASE_TOKEN_LENGTH}}$`));
    expect(CASE_TOKEN_LENGTH * 5).toBeGreaterThanOrEqual(100);
  });

  it('when signing twice, then the token is the same (deterministic)', () => {
    expect(signCaseToken(REF, SECRET)).toBe(signCaseToken(REF, SECRET));
  });

  it('when the reference is written in lower case, then the token is the same', () => {
    expect(signCaseToken('mo-2026-000123', SECRET)).toBe(signCaseToken(REF, SECRET));
  });

  it.each([
    ['another case', 'MO-2026-000124', SECRET],
    ['another secret', REF, OTHER_SECRET],
  ])('when signing with %s, then the token differs', (_label, ref, secret) => {
    expect(signCaseToken(ref, secret)).not.toBe(signCaseToken(REF, SECRET));
  });

  it('when signing, then the token is not the bare HMAC of the reference (domain-separated)', () => {
    const bare = createHmac('sha256', SECRET).update(REF).digest('hex');
    expect(bare.startsWith(signCaseToken(REF, SECRET))).toBe(false);
  });

  it('when a Buffer secret holds the same bytes, then the token is the same', () => {
    expect(signCaseToken(REF, Buffer.from(SECRET))).toBe(signCaseToken(REF, SECRET));
  });

  it.each([
    ['an empty secret', REF, ''],
    ['a secret shorter than 16 bytes', REF, 'short-secret'],
    ['an empty reference', '  ', SECRET],
  ])('when given %s, then it throws RangeError', (_label, ref, secret) => {
    expect(() => signCaseToken(ref, secret)).toThrow(RangeError);
  });

  it('when signing many references, then no two tokens collide', () => {
    const tokens = new Set<string>();
    for (let i = 1; i <= 5000; i++) tokens.add(signCaseToken(`MO-2026-${String(i).padStart(6, '0')}`, SECRET));
    expect(tokens.size).toBe(5000);
  });
});

describe('verifyCaseToken', () => {
  const token = signCaseToken(REF, SECRET);

  it.each([
    ['the right token', REF, token, SECRET, true],
    ['the token in upper case (case folded by a mail system)', REF, token.toUpperCase(), SECRET, true],
    ['the reference in lower case', REF.toLowerCase(), token, SECRET, true],
    ["another case's token", 'MO-2026-000124', token, SECRET, false],
    ['a token made with another secret', REF, signCaseToken(REF, OTHER_SECRET), SECRET, false],
    ['one character changed', REF, (token[0] === 'a' ? 'b' : 'a') + token.slice(1), SECRET, false],
    ['a truncated token', REF, token.slice(0, -1), SECRET, false],
    ['a longer token', REF, token + 'a', SECRET, false],
    ['an empty token', REF, '', SECRET, false],
    ['non-ASCII characters of the same length', REF, 'é'.repeat(CASE_TOKEN_LENGTH), SECRET, false],
  ])('when given %s, then it is %s', (_label, ref, candidate, secret, expected) => {
    expect(verifyCaseToken(ref, candidate, secret)).toBe(expected);
  });
});

describe('buildReplyAddress', () => {
  it('when built for the inbox, then the tag carries the reference and the token', () => {
    const address = buildReplyAddress(INBOX, REF, SECRET);
    expect(address).toBe(`suporte+${REF}.${signCaseToken(REF, SECRET)}@x.pt`);
    expect(address.split('@')[0]!.length).toBeLessThanOrEqual(64);
  });

  it('when the reference is lower case, then it is written in upper case', () => {
    expect(buildReplyAddress(INBOX, 'mo-2026-000123', SECRET)).toBe(buildReplyAddress(INBOX, REF, SECRET));
  });

  it.each([
    ['an inbox that is not an address', 'suporte', REF],
    ['a reference with a dot', INBOX, 'MO.2026'],
    ['a reference with spaces', INBOX, 'MO 2026'],
    ['a local part over 64 octets', 'a-very-long-shared-support-inbox-name@x.pt', 'MO-2026-000123456789'],
  ])('when given %s, then it throws RangeError', (_label, inbox, ref) => {
    expect(() => buildReplyAddress(inbox, ref, SECRET)).toThrow(RangeError);
  });
});

describe('parseReplyAddress', () => {
  const token = signCaseToken(REF, SECRET);
  const address = `suporte+${REF}.${token}@x.pt`;

  it('when the address was built by buildReplyAddress, then reference and token round-trip', () => {
    const parsed = parseReplyAddress(buildReplyAddress(INBOX, REF, SECRET), INBOX);
    expect(parsed).toEqual({ caseRef: REF, token });
    expect(verifyCaseToken(parsed!.caseRef, parsed!.token, SECRET)).toBe(true);
  });

  it.each([
    ['with a display name', `"Equipa Médis" <${address}>`],
    ['in angle brackets', `<${address}>`],
    ['all in upper case', address.toUpperCase()],
    ['all in lower case', address.toLowerCase()],
    ['with surrounding spaces', `  ${address} `],
  ])('when the address is written %s, then it still parses', (_label, written) => {
    expect(parseReplyAddress(written, INBOX)).toEqual({ caseRef: REF, token });
  });

  it('when the inbox itself has a tag, then the case tag follows it', () => {
    const inbox = 'suporte+triagem@x.pt';
    const built = buildReplyAddress(inbox, REF, SECRET);
    expect(built).toBe(`suporte+triagem+${REF}.${token}@x.pt`);
    expect(parseReplyAddress(built, inbox)).toEqual({ caseRef: REF, token });
  });

  it.each([
    ['the bare inbox', INBOX],
    ['another domain', `suporte+${REF}.${token}@y.pt`],
    ['another mailbox', `vendas+${REF}.${token}@x.pt`],
    ['a mailbox that merely starts like the inbox', `suporte2+${REF}.${token}@x.pt`],
    ['no token', `suporte+${REF}@x.pt`],
    ['a short token', `suporte+${REF}.${token.slice(0, 10)}@x.pt`],
    ['a token with characters outside base32', `suporte+${REF}.${'0'.repeat(CASE_TOKEN_LENGTH)}@x.pt`],
    ['an empty reference', `suporte+.${token}@x.pt`],
    ['not an address', 'not an address'],
    ['an empty string', ''],
  ])('when the address is %s, then it is null', (_label, candidate) => {
    expect(parseReplyAddress(candidate, INBOX)).toBeNull();
  });

  it('when the token belongs to another case, then it parses but does not verify', () => {
    const forged = `suporte+MO-2026-000999.${token}@x.pt`;
    const parsed = parseReplyAddress(forged, INBOX);
    expect(parsed).toEqual({ caseRef: 'MO-2026-000999', token });
    expect(verifyCaseToken(parsed!.caseRef, parsed!.token, SECRET)).toBe(false);
  });
});

describe('findReplyAddress', () => {
  it('when one of several recipients is a tagged inbox address, then that one is found', () => {
    const tagged = buildReplyAddress(INBOX, REF, SECRET);
    expect(findReplyAddress(['cliente@example.com', INBOX, tagged], INBOX)).toEqual({
      caseRef: REF,
      token: signCaseToken(REF, SECRET),
    });
  });

  it('when no recipient is tagged, then it is null', () => {
    expect(findReplyAddress(['cliente@example.com', INBOX], INBOX)).toBeNull();
  });
});
