import { medianResult, type SectionResult } from './measure';

/** Targets of the issue: the whole explain at least half as fast as bare simpleParser, under 300 MiB. */
export const TARGETS = { minRatio: 0.5, maxPeakRssMib: 300 } as const;

export interface BenchSummary {
  generated: { messages: number; bytes: number; kinds: Record<string, number>; minBytes: number; maxBytes: number };
  rounds: number;
  /** Per section, the round with the median throughput. */
  sections: SectionResult[];
  /**
   * explain ÷ simpleParser messages/s: the median over rounds of each round's own ratio (the two
   * passes of a round run back to back, so load from elsewhere mostly cancels out).
   */
  ratio: number | null;
  /** Each round's ratio, for judging the spread. */
  roundRatios: number[];
  peakRssMib: number;
  targets: { ratio: boolean | null; peakRss: boolean };
}

/** `rounds[i]` holds round i's result of every section, in the same order. */
export function summarise(generated: BenchSummary['generated'], rounds: SectionResult[][], peakRssMib: number): BenchSummary {
  const names = (rounds[0] ?? []).map((result) => result.name);
  const sections = names.map((name) => medianResult(rounds.map((round) => round.find((result) => result.name === name)!)));
  const roundRatios = rounds.flatMap((round) => {
    const baseline = round.find((result) => result.name === 'simpleParser');
    const explain = round.find((result) => result.name === 'explain');
    return baseline && explain && baseline.messagesPerSecond > 0 ? [explain.messagesPerSecond / baseline.messagesPerSecond] : [];
  });
  const ratio = roundRatios.length > 0 ? median(roundRatios) : null;
  return {
    generated,
    rounds: rounds.length,
    sections,
    ratio,
    roundRatios,
    peakRssMib,
    targets: { ratio: ratio === null ? null : ratio >= TARGETS.minRatio, peakRss: peakRssMib < TARGETS.maxPeakRssMib },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The readable table: one row per section, then the ratio and memory against their targets. */
export function formatTable(summary: BenchSummary): string {
  const rows: string[][] = [['section', 'messages', 'MiB', 'seconds', 'messages/s', 'MiB/s', 'failures']];
  for (const s of summary.sections) {
    rows.push([s.title, String(s.messages), (s.bytes / 1048576).toFixed(1), (s.ms / 1000).toFixed(2), s.messagesPerSecond.toFixed(0), s.megabytesPerSecond.toFixed(1), String(s.failures)]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]): string => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const g = summary.generated;
  const verdict = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'ok' : 'MISSED');
  return [
    `generated ${g.messages} messages, ${(g.bytes / 1048576).toFixed(1)} MiB, ${(g.minBytes / 1024).toFixed(1)}-${(g.maxBytes / 1024).toFixed(1)} KiB each; ${summary.rounds} round(s), rows show the median one`,
    `kinds: ${Object.entries(g.kinds).map(([kind, count]) => `${kind} ${count}`).join(', ')}`,
    '',
    line(rows[0]!),
    rule,
    ...rows.slice(1).map(line),
    rule,
    `ratio explain/simpleParser: ${summary.ratio === null ? 'n/a' : summary.ratio.toFixed(2)} (median of rounds ${summary.roundRatios.map((r) => r.toFixed(2)).join(', ')}; target >= ${TARGETS.minRatio}: ${verdict(summary.targets.ratio)})`,
    `peak RSS: ${summary.peakRssMib.toFixed(0)} MiB (target < ${TARGETS.maxPeakRssMib}: ${verdict(summary.targets.peakRss)})`,
  ].join('\n');
}

/** The machine-readable last line. */
export function formatJson(summary: BenchSummary): string {
  const sections = Object.fromEntries(
    summary.sections.map((s) => [
      s.name,
      { messages: s.messages, bytes: s.bytes, ms: round(s.ms), messagesPerSecond: round(s.messagesPerSecond), megabytesPerSecond: round(s.megabytesPerSecond), failures: s.failures },
    ]),
  );
  return JSON.stringify({
    bench: 'mime',
    messages: summary.generated.messages,
    bytes: summary.generated.bytes,
    rounds: summary.rounds,
    sections,
    ratio: summary.ratio === null ? null : round(summary.ratio),
    roundRatios: summary.roundRatios.map(round),
    peakRssMib: round(summary.peakRssMib),
    targets: summary.targets,
  });
}

const round = (value: number): number => Math.round(value * 100) / 100;
