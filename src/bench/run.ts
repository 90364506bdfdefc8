import { spawn } from 'node:child_process';
import path from 'node:path';
import type { E2eResult } from './e2e';
import { formatE2e } from './e2e-report';
import { generateMessages, type BenchMessage } from './generate';
import { peakRssMib, timeSection, type BenchSection, type SectionResult } from './measure';
import { formatJson, formatTable, summarise, type BenchSummary } from './report';
import { explainSection, parseMessageSection, simpleParserSection } from './sections';

/**
 * `npm run bench`: generate the messages, then time each section over all of them in the same
 * process, and print a table and a last JSON line. Exit code 1 when a target is missed.
 *
 * Then the end-to-end section (e2e.ts) in a child process of its own, so that its memory does not
 * count against the explain section's peak RSS: the service and a bare pipeline on the same
 * messages through a private Dovecot, the machine's Redis and an SMTP sink. `--no-e2e` skips it.
 *
 *   node dist/bench/run.js [--count 2000] [--rounds 3] [--seed 20261118] [--no-e2e] [--steady-seconds 30]
 */
export interface BenchOptions {
  count: number;
  rounds: number;
  seed: number;
  e2e: boolean;
  steadySeconds: number;
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
    for (const section of sections) {
      // Between passes, not inside them: one section's garbage must not count against the next's memory.
      collectGarbage();
      results.push(await timeSection(section, messages));
    }
    out.push(results);
  }
  for (const section of sections) await section.teardown?.();
  return out;
}

/** A full collection when node runs with --expose-gc (npm run bench does); otherwise nothing. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
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
  return {
    count: value('--count', 2000),
    rounds: value('--rounds', 3),
    seed: value('--seed', 20261118),
    e2e: !argv.includes('--no-e2e'),
    steadySeconds: value('--steady-seconds', 30),
  };
}

/** Runs dist/bench/e2e.js in a child process and reads its last JSON line (null when it failed). */
export function runE2eChild(options: BenchOptions): Promise<E2eResult | { error: string }> {
  const args = [path.join(__dirname, 'e2e.js'), '--count', String(options.count), '--seed', String(options.seed), '--steady-seconds', String(options.steadySeconds)];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const parsed = JSON.parse(line) as E2eResult & { bench?: string };
        if (parsed.bench === 'e2e') return resolve(parsed);
      } catch {
        // reported below
      }
      resolve({ error: `the end-to-end section exited with code ${code ?? 'null'}` });
    });
  });
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const options = parseArgs(argv);
  const summary = await runBench(options);
  process.stdout.write(`${formatTable(summary)}\n${formatJson(summary)}\n`);
  let failed = summary.targets.ratio === false || !summary.targets.peakRss;
  if (options.e2e) {
    process.stdout.write('\nend to end (separate process): service vs bare pipeline, same messages…\n');
    const e2e = await runE2eChild(options);
    if ('error' in e2e) {
      process.stdout.write(`end to end: ${e2e.error}\n`);
      failed = true;
    } else {
      process.stdout.write(`${formatE2e(e2e)}\n${JSON.stringify({ bench: 'e2e', ...e2e })}\n`);
      failed ||= e2e.targets.ratio === false || e2e.targets.steadyP99 === false;
    }
  }
  return failed ? 1 : 0;
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
