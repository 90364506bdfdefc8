import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { loadRules } from '../../../src/config/load';
import { explainMessage } from '../../../src/explain';
import { listEml, SHARED_DIR } from '../../helpers/load-eml';

/**
 * Property: whatever bytes arrive (random ones, or real customer mail from the eval corpus with
 * bytes flipped, cut short, headers repeated, MIME boundaries damaged), explainMessage resolves
 * with a valid decision, in a sane time. Bounded runs keep the unit tier fast; FC_SEED and
 * FC_RUNS widen the search locally.
 */

const rules = loadRules();
const ACTIONS = new Set(['forward', 'ask_identity', 'review', 'suppress']);
const SEED = Number(process.env.FC_SEED ?? 20261118);
const RUNS = Number(process.env.FC_RUNS ?? 200);
/** Far above a normal explain (a few ms); a parse that hangs or goes quadratic shows here. */
const MAX_MS = 5_000;
/** Room for the whole run, however many runs are asked for. */
const TEST_TIMEOUT_MS = Math.max(60_000, RUNS * 100);

const CASES = listEml(path.join(SHARED_DIR, 'eval/cases')).map((file) => readFileSync(file));

async function expectDecided(raw: Buffer): Promise<void> {
  const started = performance.now();
  const line = await explainMessage(raw, rules, 'property.eml');
  const elapsed = performance.now() - started;
  expect(ACTIONS.has(line.action)).toBe(true);
  expect(Array.isArray(line.routes) && Array.isArray(line.reasons) && Array.isArray(line.missing)).toBe(true);
  expect(() => JSON.stringify(line)).not.toThrow();
  // Decided by decide() itself, not by explainMessage's last-resort catch.
  expect(line.reasons.filter((reason) => reason.startsWith('could not be decided'))).toEqual([]);
  expect(elapsed).toBeLessThan(MAX_MS);
}

type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'duplicateHeader'; line: number; times: number }
  | { kind: 'damageBoundary'; which: number; how: 'drop' | 'mangle' | 'closeEarly' | 'strayPrefix' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('duplicateHeader' as const), line: fc.nat(), times: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('damageBoundary' as const),
    which: fc.nat(),
    how: fc.constantFrom('drop' as const, 'mangle' as const, 'closeEarly' as const, 'strayPrefix' as const),
  }),
);

function mutate(raw: Buffer, change: Mutation): Buffer {
  const text = raw.toString('latin1');
  switch (change.kind) {
    case 'flip': {
      if (raw.length === 0) return raw;
      const out = Buffer.from(raw);
      out[change.at % out.length] = change.value;
      return out;
    }
    case 'truncate':
      return raw.subarray(0, change.at % (raw.length + 1));
    case 'insert': {
      const at = change.at % (raw.length + 1);
      return Buffer.concat([raw.subarray(0, at), Buffer.from(change.bytes), raw.subarray(at)]);
    }
    case 'duplicateHeader': {
      const end = text.search(/\r?\n\r?\n/);
      const lines = (end < 0 ? text : text.slice(0, end)).split(/(?<=\n)/);
      if (lines.length === 0) return raw;
      const index = change.line % lines.length;
      const copy = lines[index]!.endsWith('\n') ? lines[index]! : `${lines[index]!}\r\n`;
      lines.splice(index + 1, 0, ...Array<string>(change.times).fill(copy));
      return Buffer.from(lines.join('') + (end < 0 ? '' : text.slice(end)), 'latin1');
    }
    case 'damageBoundary': {
      const boundary = /boundary="?([^";\r\n]+)"?/i.exec(text)?.[1];
      if (!boundary) return raw;
      const marks: number[] = [];
      for (let at = text.indexOf(`--${boundary}`); at >= 0; at = text.indexOf(`--${boundary}`, at + 1)) marks.push(at);
      if (marks.length === 0) return raw;
      const at = marks[change.which % marks.length]!;
      const lineEnd = text.indexOf('\n', at);
      const end = lineEnd < 0 ? text.length : lineEnd + 1;
      const mark = `--${boundary}`;
      const replacement =
        change.how === 'drop' ? '' :
        change.how === 'mangle' ? `--${boundary.slice(0, -1)}${boundary.endsWith('x') ? 'y' : 'x'}\r\n` :
        change.how === 'closeEarly' ? `${mark}--\r\n` :
        `X${mark}\r\n`;
      return Buffer.from(text.slice(0, at) + replacement + text.slice(end), 'latin1');
    }
  }
}

describe('explainMessage', () => {
  it('when given random bytes, then it resolves with a valid decision in a sane time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 4096 }),
          // Random bytes behind a plausible header block, so the body parser is reached too.
          fc.tuple(fc.constantFrom('text/plain', 'text/html', 'multipart/mixed; boundary="b"', 'message/rfc822'), fc.uint8Array({ maxLength: 4096 }))
            .map(([type, body]) => Buffer.concat([Buffer.from(`From: a@example.pt\r\nContent-Type: ${type}\r\n\r\n`), Buffer.from(body)])),
        ),
        async (bytes) => expectDecided(Buffer.from(bytes)),
      ),
      { seed: SEED, numRuns: Math.ceil(RUNS / 2) },
    );
  }, TEST_TIMEOUT_MS);

  it('when real customer mail is damaged, then it resolves with a valid decision in a sane time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: CASES.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (index, changes) => expectDecided(changes.reduce(mutate, CASES[index]!)),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, TEST_TIMEOUT_MS);
});
