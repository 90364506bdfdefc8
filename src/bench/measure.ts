import type { BenchMessage } from './generate';

/** What one timed pass of a section over the messages gives. */
export interface SectionResult {
  /** Stable key of the section (JSON field names derive from it). */
  name: string;
  /** Human-readable title for the table. */
  title: string;
  messages: number;
  bytes: number;
  ms: number;
  messagesPerSecond: number;
  megabytesPerSecond: number;
  /** Messages whose handler threw (counted, never fatal to the run). */
  failures: number;
}

/** A named part of the benchmark: something done to every message, timed as a whole. */
export interface BenchSection {
  name: string;
  title: string;
  /** Optional one-time preparation outside the timing (connections, rules…). */
  setup?: () => Promise<void> | void;
  handle: (message: BenchMessage) => Promise<unknown> | unknown;
  teardown?: () => Promise<void> | void;
}

export const MIB = 1024 * 1024;

/** Runs `section.handle` over every message in turn (awaiting each) and times the whole pass. */
export async function timeSection(section: BenchSection, messages: ReadonlyArray<BenchMessage>): Promise<SectionResult> {
  let failures = 0;
  let bytes = 0;
  const started = performance.now();
  for (const message of messages) {
    bytes += message.raw.length;
    try {
      await section.handle(message);
    } catch {
      failures++;
    }
  }
  const ms = performance.now() - started;
  return toResult(section, messages.length, bytes, ms, failures);
}

function toResult(section: BenchSection, messages: number, bytes: number, ms: number, failures: number): SectionResult {
  const seconds = ms / 1000;
  return {
    name: section.name,
    title: section.title,
    messages,
    bytes,
    ms,
    messagesPerSecond: seconds > 0 ? messages / seconds : 0,
    megabytesPerSecond: seconds > 0 ? bytes / MIB / seconds : 0,
    failures,
  };
}

/** The pass with the median throughput of several rounds of the same section. */
export function medianResult(rounds: ReadonlyArray<SectionResult>): SectionResult {
  if (rounds.length === 0) throw new Error('no rounds to take the median of');
  const sorted = [...rounds].sort((a, b) => a.messagesPerSecond - b.messagesPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * Peak resident set size of the process so far, in MiB: the kernel's own high-water mark
 * (getrusage ru_maxrss), so short spikes between samples are not missed.
 */
export function peakRssMib(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Samples the current RSS every `intervalMs` while a section runs; `stop()` gives the highest seen, in MiB. */
export function sampleRss(intervalMs = 50): { stop: () => number } {
  let highest = process.memoryUsage.rss();
  const timer = setInterval(() => {
    highest = Math.max(highest, process.memoryUsage.rss());
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(highest, process.memoryUsage.rss()) / MIB;
    },
  };
}
