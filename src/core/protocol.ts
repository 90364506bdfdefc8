/**
 * Ombudsman protocol numbers (policy §4: each manifestation gets a protocol number), written from
 * `rules.ombudsman.protocolFormat`, e.g. `"OUV-{year}-{seq:######}"` → `OUV-2026-000123`.
 *
 * Placeholders: `{year}` (four digits, required: the sequence restarts every year, so the year
 * keeps numbers unique) and `{seq}` or `{seq:###}` (zero-padded to the number of `#`; a larger
 * number is written in full, never truncated). The sequence itself is allocated atomically by the
 * store adapter, per year.
 */

export interface ProtocolNumber {
  year: number;
  seq: number;
  /** The canonical text, as `format` writes it. */
  text: string;
}

export interface ProtocolFormat {
  /** The format it was built from. */
  readonly source: string;
  /** Throws RangeError unless `year` has four digits and `seq` is a positive safe integer. */
  format(year: number, seq: number): string;
  /** The protocol number that is the whole of `text` (case-insensitive, trimmed), or null. */
  parse(text: string): ProtocolNumber | null;
  /** Every protocol number cited in free text (a subject, a customer's message), in order. */
  find(text: string): ProtocolNumber[];
}

type Piece = { kind: 'literal'; text: string } | { kind: 'year' } | { kind: 'seq'; width: number };

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Compiles a protocol format once. Throws RangeError when the format is malformed. */
export function buildProtocolFormat(source: string): ProtocolFormat {
  const pieces = parsePieces(source);
  const body = pieces
    .map((piece) => {
      switch (piece.kind) {
        case 'literal':
          return escapeRegExp(piece.text);
        case 'year':
          return '(?<year>\\d{4})';
        case 'seq':
          // Exactly `width` digits, or more without a leading zero: one text per number.
          return `(?<seq>\\d{${piece.width}}|[1-9]\\d{${piece.width},})`;
      }
    })
    .join('');
  const whole = new RegExp(`^${body}$`, 'iu');
  const within = `(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`;

  const format = (year: number, seq: number): string => {
    if (!Number.isInteger(year) || year < 1000 || year > 9999) {
      throw new RangeError(`protocol: year must have four digits, got ${year}`);
    }
    if (!Number.isSafeInteger(seq) || seq < 1) {
      throw new RangeError(`protocol: sequence must be a positive integer, got ${seq}`);
    }
    return pieces
      .map((piece) => {
        switch (piece.kind) {
          case 'literal':
            return piece.text;
          case 'year':
            return String(year);
          case 'seq':
            return String(seq).padStart(piece.width, '0');
        }
      })
      .join('');
  };

  const fromMatch = (groups: Record<string, string> | undefined): ProtocolNumber | null => {
    const year = Number(groups?.year);
    const seq = Number(groups?.seq);
    if (!Number.isSafeInteger(seq) || seq < 1) return null;
    return { year, seq, text: format(year, seq) };
  };

  return Object.freeze({
    source,
    format,
    parse(text: string): ProtocolNumber | null {
      const m = whole.exec(text.trim());
      return m ? fromMatch(m.groups) : null;
    },
    find(text: string): ProtocolNumber[] {
      const found: ProtocolNumber[] = [];
      for (const m of text.matchAll(new RegExp(within, 'giu'))) {
        const number = fromMatch(m.groups);
        if (number) found.push(number);
      }
      return found;
    },
  });
}

/** `buildProtocolFormat(source).format(year, seq)`. */
export function formatProtocol(source: string, year: number, seq: number): string {
  return buildProtocolFormat(source).format(year, seq);
}

/** `buildProtocolFormat(source).parse(text)`. */
export function parseProtocol(source: string, text: string): ProtocolNumber | null {
  return buildProtocolFormat(source).parse(text);
}

function parsePieces(source: string): Piece[] {
  const pieces: Piece[] = [];
  let years = 0;
  let seqs = 0;
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    const index = m.index ?? 0;
    pushLiteral(pieces, source.slice(last, index));
    last = index + m[0].length;
    const name = m[1] as string;
    if (name === 'year') {
      years++;
      pieces.push({ kind: 'year' });
      continue;
    }
    const seq = /^seq(?::(#+))?$/.exec(name);
    if (seq) {
      seqs++;
      pieces.push({ kind: 'seq', width: seq[1]?.length ?? 1 });
      continue;
    }
    throw new RangeError(`protocol format "${source}": unknown placeholder {${name}}`);
  }
  pushLiteral(pieces, source.slice(last));
  if (years !== 1 || seqs !== 1) {
    throw new RangeError(`protocol format "${source}": needs exactly one {year} and one {seq}`);
  }
  for (let i = 1; i < pieces.length; i++) {
    if (pieces[i - 1]?.kind !== 'literal' && pieces[i]?.kind !== 'literal') {
      throw new RangeError(`protocol format "${source}": {year} and {seq} must be separated`);
    }
  }
  return pieces;
}

function pushLiteral(pieces: Piece[], text: string): void {
  if (text === '') return;
  if (/[{}]/.test(text)) throw new RangeError(`protocol format: stray brace in "${text}"`);
  pieces.push({ kind: 'literal', text });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
