import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MailSourceStatus } from '../adapters/ports';

/**
 * The metrics an operator watches (issue 6). One factory, so the workers record into the same
 * definitions the web role exposes. Labels carry categories, actions, queue names and mail kinds
 * only: never an address, a reference or anything a customer wrote.
 */
export interface TriageMetrics {
  registry: Registry;
  /** One per decided message and category (`none` when it has no category). */
  messages: Counter<'action' | 'category'>;
  mailSent: Counter<'kind'>;
  /** `class`: permanent | transient (the SMTP adapter's classification). */
  mailFailed: Counter<'kind' | 'class'>;
  /** From the moment the source saw the message to the SMTP server accepting the mail. */
  appendToSend: Histogram<'kind'>;
  queueJobs: Gauge<'queue' | 'state'>;
  queueOldestJobAge: Gauge<'queue'>;
  imapConnected: Gauge;
  imapLastPollAge: Gauge;
  reviewBacklog: Gauge;
  ombudsmanOverdue: Gauge;
}

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag); off in tests that compare output. */
  defaultMetrics?: boolean;
}

export function createMetrics(registry: Registry = new Registry(), options: MetricsOptions = {}): TriageMetrics {
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'triage_' });
  const registers = [registry];
  return {
    registry,
    messages: new Counter({
      name: 'triage_messages_total',
      help: 'Messages decided, by action and category',
      labelNames: ['action', 'category'],
      registers,
    }),
    mailSent: new Counter({ name: 'triage_mail_sent_total', help: 'Mails accepted by the SMTP server, by kind', labelNames: ['kind'], registers }),
    mailFailed: new Counter({
      name: 'triage_mail_failed_total',
      help: 'Mail send attempts that failed, by kind and failure class',
      labelNames: ['kind', 'class'],
      registers,
    }),
    appendToSend: new Histogram({
      name: 'triage_append_to_send_seconds',
      help: 'From the message reaching the inbox source to the SMTP server accepting the mail it caused',
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
    queueJobs: new Gauge({ name: 'triage_queue_jobs', help: 'Jobs in each queue, by state', labelNames: ['queue', 'state'], registers }),
    queueOldestJobAge: new Gauge({
      name: 'triage_queue_oldest_job_age_seconds',
      help: 'Age of the oldest job waiting to be processed (0 when none waits)',
      labelNames: ['queue'],
      registers,
    }),
    imapConnected: new Gauge({ name: 'triage_imap_connected', help: '1 when the IMAP poller is connected', registers }),
    imapLastPollAge: new Gauge({ name: 'triage_imap_last_poll_age_seconds', help: 'Seconds since the last IMAP poll (-1 before the first)', registers }),
    reviewBacklog: new Gauge({ name: 'triage_review_backlog', help: 'Cases waiting for a person', registers }),
    ombudsmanOverdue: new Gauge({ name: 'triage_ombudsman_overdue', help: 'Ombudsman cases past their deadline', registers }),
  };
}

/** Records one decided message: one sample per category, `none` when it has none. */
export function recordDecision(metrics: TriageMetrics, action: string, categories: readonly string[]): void {
  if (categories.length === 0) metrics.messages.inc({ action, category: 'none' });
  for (const category of categories) metrics.messages.inc({ action, category });
}

/** Records one mail accepted by the SMTP server; `receivedAt` is when the source saw the message. */
export function recordMailSent(metrics: TriageMetrics, kind: string, receivedAt: Date | null, now: Date): void {
  metrics.mailSent.inc({ kind });
  if (receivedAt) metrics.appendToSend.observe({ kind }, Math.max(0, (now.getTime() - receivedAt.getTime()) / 1000));
}

export function recordMailFailed(metrics: TriageMetrics, kind: string, failureClass: 'permanent' | 'transient'): void {
  metrics.mailFailed.inc({ kind, class: failureClass });
}

/** The queue methods the gauges read (a BullMQ Queue satisfies it). */
export interface QueueStatsSource {
  name: string;
  getJobCounts(...types: never[]): Promise<Record<string, number>>;
  getJobs(types: never[], start?: number, end?: number, asc?: boolean): Promise<Array<{ timestamp: number } | undefined>>;
}

const COUNTED_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed', 'paused'];

/** Where the gauges come from, read at scrape time. Each source is optional. */
export interface GaugeSources {
  queues?: readonly QueueStatsSource[];
  imapStatus?: () => Promise<MailSourceStatus | null>;
  caseCounts?: (now: Date) => Promise<{ review: number; ombudsmanOverdue: number }>;
}

/**
 * Refreshes the gauges before a scrape. A source that fails leaves its gauges as they were and
 * is reported, so one broken source does not hide the others.
 */
export async function refreshGauges(metrics: TriageMetrics, sources: GaugeSources, now: Date): Promise<string[]> {
  const failed: string[] = [];
  const tasks: Array<Promise<void>> = [];
  for (const queue of sources.queues ?? []) {
    tasks.push(
      (async () => {
        const counts = await queue.getJobCounts(...(COUNTED_STATES as never[]));
        for (const state of COUNTED_STATES) metrics.queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
        const oldest = await queue.getJobs(['wait', 'prioritized'] as never[], 0, 0, true);
        const stamps = oldest.filter((j): j is { timestamp: number } => !!j && Number.isFinite(j.timestamp)).map((j) => j.timestamp);
        const age = stamps.length ? Math.max(0, (now.getTime() - Math.min(...stamps)) / 1000) : 0;
        metrics.queueOldestJobAge.set({ queue: queue.name }, age);
      })().catch(() => void failed.push(`queue:${queue.name}`)),
    );
  }
  if (sources.imapStatus) {
    const read = sources.imapStatus;
    tasks.push(
      (async () => {
        const status = await read();
        metrics.imapConnected.set(status?.connected ? 1 : 0);
        metrics.imapLastPollAge.set(status?.lastPollAt ? Math.max(0, (now.getTime() - status.lastPollAt.getTime()) / 1000) : -1);
      })().catch(() => void failed.push('imap')),
    );
  }
  if (sources.caseCounts) {
    const read = sources.caseCounts;
    tasks.push(
      (async () => {
        const counts = await read(now);
        metrics.reviewBacklog.set(counts.review);
        metrics.ombudsmanOverdue.set(counts.ombudsmanOverdue);
      })().catch(() => void failed.push('cases')),
    );
  }
  await Promise.all(tasks);
  return failed;
}
