import { buildProtocolFormat, formatProtocol, parseProtocol } from '../../../src/core/protocol';

const FORMAT = 'OUV-{year}-{seq:######}';

describe('buildProtocolFormat', () => {
  it.each([
    ['OUV-{year}-{seq:######}', 2026, 123, 'OUV-2026-000123'],
    ['OUV-{year}-{seq:######}', 2027, 1, 'OUV-2027-000001'],
    ['OUV-{year}-{seq:######}', 2026, 999_999, 'OUV-2026-999999'],
    ['OUV-{year}-{seq:######}', 2026, 1_234_567, 'OUV-2026-1234567'], // wider, never truncated
    ['{year}/{seq}', 2026, 42, '2026/42'],
    ['P{seq:####}.{year}', 2026, 7, 'P0007.2026'],
  ])('when formatting %s with year %i and sequence %i, then it writes %s', (source, year, seq, expected) => {
    expect(buildProtocolFormat(source).format(year, seq)).toBe(expected);
  });

  it.each([
    ['a missing {seq}', 'OUV-{year}'],
    ['a missing {year}', 'OUV-{seq:######}'],
    ['two {seq}', '{year}-{seq}-{seq}'],
    ['an unknown placeholder', 'OUV-{year}-{month}-{seq}'],
    ['a malformed width', 'OUV-{year}-{seq:000}'],
    ['a stray brace', 'OUV-{year}-{seq}}'],
    ['placeholders side by side', 'OUV-{year}{seq}'],
  ])('when the format has %s, then it throws RangeError', (_label, source) => {
    expect(() => buildProtocolFormat(source)).toThrow(RangeError);
  });

  it.each([
    [2026, 0],
    [2026, -1],
    [2026, 1.5],
    [26, 1],
    [20260, 1],
  ])('when formatting year %i with sequence %i, then it throws RangeError', (year, seq) => {
    expect(() => buildProtocolFormat(FORMAT).format(year, seq)).toThrow(RangeError);
  });

  describe('parse', () => {
    const format = buildProtocolFormat(FORMAT);
    it.each([
      ['OUV-2026-000123', { year: 2026, seq: 123, text: 'OUV-2026-000123' }],
      ['ouv-2026-000123', { year: 2026, seq: 123, text: 'OUV-2026-000123' }],
      ['  OUV-2027-000001 ', { year: 2027, seq: 1, text: 'OUV-2027-000001' }],
      ['OUV-2026-1234567', { year: 2026, seq: 1_234_567, text: 'OUV-2026-1234567' }],
    ])('when the text is %p, then it parses to %o', (text, expected) => {
      expect(format.parse(text)).toEqual(expected);
    });

    it.each([
      ['too few digits', 'OUV-2026-123'],
      ['a leading zero beyond the width', 'OUV-2026-0123456'],
      ['sequence zero', 'OUV-2026-000000'],
      ['another prefix', 'REC-2026-000123'],
      ['extra text', 'OUV-2026-000123 urgente'],
      ['a two-digit year', 'OUV-26-000123'],
      ['empty', ''],
    ])('when the text has %s (%p), then it is null', (_label, text) => {
      expect(format.parse(text)).toBeNull();
    });

    it('when a sequence is formatted and parsed, then it round-trips', () => {
      for (const seq of [1, 9, 10, 99_999, 100_000, 999_999, 1_000_000, 12_345_678]) {
        const text = format.format(2026, seq);
        expect(format.parse(text)).toEqual({ year: 2026, seq, text });
      }
    });

    it('when the format has regular-expression characters, then they are literal', () => {
      const dotted = buildProtocolFormat('OUV.{year}.{seq:###}');
      expect(dotted.parse('OUV.2026.001')).toEqual({ year: 2026, seq: 1, text: 'OUV.2026.001' });
      expect(dotted.parse('OUVx2026x001')).toBeNull();
    });
  });

  describe('find', () => {
    const format = buildProtocolFormat(FORMAT);
    it('when a customer cites protocol numbers, then each is found in order', () => {
      const text = 'Ja tenho o protocolo ouv-2026-000123 (e antes o OUV-2025-000987). Sem resposta!';
      expect(format.find(text).map((p) => p.text)).toEqual(['OUV-2026-000123', 'OUV-2025-000987']);
    });

    it('when the number is glued to other letters or digits, then it is not taken', () => {
      expect(format.find('XOUV-2026-000123 OUV-2026-0001234 OUV-2026-000123A')).toEqual([]);
    });

    it('when a subject carries the number in brackets, then it is found', () => {
      expect(format.find('RE: [OUV-2026-000042] Reclamação')).toEqual([
        { year: 2026, seq: 42, text: 'OUV-2026-000042' },
      ]);
    });
  });
});

describe('formatProtocol', () => {
  it('when given the shipped format, then it writes the zero-padded number', () => {
    expect(formatProtocol(FORMAT, 2026, 123)).toBe('OUV-2026-000123');
  });
});

describe('parseProtocol', () => {
  it('when given the shipped format, then it reads year and sequence', () => {
    expect(parseProtocol(FORMAT, 'OUV-2026-000123')).toEqual({ year: 2026, seq: 123, text: 'OUV-2026-000123' });
  });
});
