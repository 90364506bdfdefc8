import { generateMessages, type BenchMessage } from './generate';
import { peakRssMib, timeSection, type BenchSection, type SectionResult } from './measure';
import { formatJson, formatTable, summarise, type BenchSummary } from './report';
import { explainSection, parseMessageSection, simpleParserSection } from './sections';

/**
 * `npm run bench`: generate the messages, then time each section over all of them in the same
 * process, and print a table and a last JSON line. Exit code 1 when a target is missed.
 *
 *   node dist/bench/run.js [--count 2000] [--rounds 3] [--seed 20261118]
 */
export interface BenchOptions {
  count: number;
  rounds: number;
  seed: number;
}

export async function runBench(options: BenchOptions, sections: BenchSection[] = defaultSections()): Promise<BenchSummary> {
  const messages = generateMessages({ count: options.count, seed: options.seed });
  await warmUp(sections, messages);
  const rounds = await timeRounds(sections, messages, options.rounds);
  return summarise(describeMessages(messages), rounds, peakRssMib());
}

/** The sections in the order they run; an end-to-end section goes after these. */
export function defaultSections(): BenchSection[] {
  return [simpleParserSection(), parseMessageSection(), explainSection()];
}

/** One untimed pass over a slice of the messages, so every section is compiled and warm. */
async function warmUp(sections: BenchSection[], messages: BenchMessage[]): Promise<void> {
  const slice = messages.slice(0, Math.min(200, messages.length));
  for (const section of sections) {
    await section.setup?.();
    await timeSection(section, slice);
  }
}

/** Rounds alternate the sections (a, b, a, b…) so that load from elsewhere hits them alike. */
async function timeRounds(sections: BenchSection[], messages: BenchMessage[], rounds: number): Promise<SectionResult[][]> {
  const out: SectionResult[][] = [];
  for (let round = 0; round < rounds; round++) {
    const results: SectionResult[] = [];
    for (const section of sections) results.push(await timeSection(section, messages));
    out.push(results);
  }
  for (const section of sections) await section.teardown?.();
  return out;
}

function describeMessages(messages: BenchMessage[]): BenchSummary['generated'] {
  const kinds: Record<string, number> = {};
  let bytes = 0;
  let minBytes = Number.POSITIVE_INFINITY;
  let maxBytes = 0;
  for (const message of messages) {
    kinds[message.kind] = (kinds[message.kind] ?? 0) + 1;
    bytes += message.raw.length;
    minBytes = Math.min(minBytes, message.raw.length);
    maxBytes = Math.max(maxBytes, message.raw.length);
  }
  return { messages: messages.length, bytes, kinds, minBytes: messages.length ? minBytes : 0, maxBytes };
}

export function parseArgs(argv: string[]): BenchOptions {
  const value = (flag: string, fallback: number): number => {
    const at = argv.indexOf(flag);
    const parsed = at >= 0 ? Number(argv[at + 1]) : fallback;
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${flag} needs a positive whole number`);
    return parsed;
  };
  return { count: value('--count', 2000), rounds: value('--rounds', 3), seed: value('--seed', 20261118) };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const summary = await runBench(parseArgs(argv));
  process.stdout.write(`${formatTable(summary)}\n${formatJson(summary)}\n`);
  return summary.targets.ratio === false || !summary.targets.peakRss ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${(err as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
