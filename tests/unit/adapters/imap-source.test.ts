import {
  buildOversizedPlaceholder,
  chunkBySize,
  compressUids,
  computeBackoff,
  OVERSIZED_HEADER,
  parseOversizedHeader,
} from '../../../src/adapters/imap-source';

describe('compressUids', () => {
  it.each([
    [[1], '1'],
    [[1, 2, 3], '1:3'],
    [[5, 1, 2, 3, 9, 10, 7], '1:3,5,7,9:10'],
    [[4, 4, 5], '4:5'],
    [[], ''],
  ])('when given %j, then the sequence set is %s', (uids, expected) => {
    expect(compressUids(uids)).toBe(expected);
  });
});

describe('chunkBySize', () => {
  it('when items add up past the limit, then a new chunk starts; an item over the limit goes alone', () => {
    const size = (n: number) => n;
    expect(chunkBySize([3, 3, 3, 3], size, 6)).toEqual([[3, 3], [3, 3]]);
    expect(chunkBySize([1, 10, 1, 1], size, 6)).toEqual([[1], [10], [1, 1]]);
    expect(chunkBySize([], size, 6)).toEqual([]);
  });
});

describe('computeBackoff', () => {
  it('when attempts grow, then the delay doubles up to the cap, jittered within [base/2, base]', () => {
    expect(computeBackoff(0, 1000, 60_000, () => 0)).toBe(500);
    expect(computeBackoff(0, 1000, 60_000, () => 1)).toBe(1000);
    expect(computeBackoff(3, 1000, 60_000, () => 1)).toBe(8000);
    expect(computeBackoff(10, 1000, 60_000, () => 1)).toBe(60_000);
    expect(computeBackoff(10, 1000, 60_000, () => 0)).toBe(30_000);
    expect(computeBackoff(500, 1000, 60_000, () => 0.5)).toBe(45_000);
  });
});

describe('buildOversizedPlaceholder', () => {
  const headers = Buffer.from(
    [
      'From: Cliente <cliente@example.com>',
      'To: apoio@example.pt',
      'Subject: =?utf-8?q?Fatura_e_anexos?=',
      'Message-ID: <big.1@example.com>',
      'References: <a@example.com>',
      ' <b@example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed;',
      '\tboundary="xyz"',
      'X-Triage-Oversized: size=1; limit=999999999',
      '',
      '',
    ].join('\r\n'),
  );
  const input = { headers, size: 50_000_000, limit: 36_700_160, mailbox: 'INBOX', uidValidity: '1700000000', uid: 42, keptIn: 'Triaged' };

  it('when a message is over the limit, then the placeholder keeps its headers and states size, limit and UID', () => {
    const raw = buildOversizedPlaceholder(input).toString('utf8');
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toContain('Message-ID: <big.1@example.com>');
    expect(head).toContain('References: <a@example.com>\r\n <b@example.com>');
    expect(head).toContain('Subject: =?utf-8?q?Fatura_e_anexos?=');
    expect(head).toContain('Content-Type: text/plain; charset=utf-8');
    expect(head).not.toContain('multipart/mixed');
    expect(head).not.toContain('boundary');
    expect(head!.match(new RegExp(OVERSIZED_HEADER, 'g'))).toHaveLength(1);
    expect(body).toContain('50000000 bytes');
    expect(body).toContain('"Triaged"');
    const value = /X-Triage-Oversized: (.*)/.exec(head!)?.[1];
    expect(parseOversizedHeader(value)).toEqual({ size: 50_000_000, limit: 36_700_160, uid: 42 });
  });

  it('when built twice from the same input, then the bytes are identical (deduplication by bytes holds)', () => {
    expect(buildOversizedPlaceholder(input).equals(buildOversizedPlaceholder(input))).toBe(true);
  });

  it('when the header is absent or malformed, then parseOversizedHeader gives null', () => {
    expect(parseOversizedHeader(undefined)).toBeNull();
    expect(parseOversizedHeader('size=abc')).toBeNull();
  });
});
