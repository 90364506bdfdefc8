import { createHash } from 'node:crypto';
import { Queue, type ConnectionOptions, type DefaultJobOptions, type JobsOptions } from 'bullmq';
import type { OutgoingMail } from '../core/compose';

/**
 * The two BullMQ queues of the pipeline: `classify` (one job per raw message, from the mail
 * source) and `send` (one job per mail to send, from the classifier). Names carry no `:`: BullMQ
 * builds its Redis keys as `prefix:name:…`.
 */
export const QUEUE_NAMES = { classify: 'classify', send: 'send' } as const;
export type QueueKind = keyof typeof QUEUE_NAMES;

export interface ClassifyJobData {
  /** sha256 hex of the Message-ID or the raw bytes: the raw message is stored under it. */
  hash: string;
  source: string;
  uid?: number;
  uidValidity?: string;
  /** ISO instant the source saw the message (append-to-send latency starts here). */
  receivedAt: string;
}

export interface SendJobData {
  mail: OutgoingMail;
  /** ISO instant the source saw the message that caused this mail. */
  receivedAt: string | null;
}

/** What is kept of finished jobs. */
export interface RetentionPolicy {
  removeOnComplete: { age: number; count: number };
  /** false: failed jobs (dead letters) are never removed automatically. */
  removeOnFail: false;
}

export interface RetentionSettings {
  /** Days a completed job stays visible. */
  completedDays: number;
  /** At most this many completed jobs are kept per queue. */
  completedMax?: number;
}

/**
 * Job retention (architecture habit 7): completed jobs are kept a while for the audit trail,
 * failed jobs are kept until an operator retries or removes them, so nothing is silently removed.
 * Removing a completed job does not make its message new again: the case store's markers are
 * the duplicate guard, not the job id.
 */
export function retentionPolicy(settings: RetentionSettings): RetentionPolicy {
  if (!(settings.completedDays > 0)) throw new RangeError('retention: completedDays must be positive');
  return {
    removeOnComplete: { age: Math.round(settings.completedDays * 86_400), count: settings.completedMax ?? 50_000 },
    removeOnFail: false,
  };
}

export interface RetrySettings {
  attempts: number;
  /** First retry delay in ms; each later one doubles (BullMQ `exponential`). */
  delayMs: number;
}

/** Default retries per queue: classification failures are Redis or parser hiccups; sends wait for the MTA. */
export const DEFAULT_RETRY: Readonly<Record<QueueKind, RetrySettings>> = Object.freeze({
  classify: { attempts: 5, delayMs: 2_000 },
  send: { attempts: 8, delayMs: 30_000 },
});

/** Default options of every job of a queue: retries with exponential backoff and the retention policy. */
export function defaultJobOptions(retry: RetrySettings, retention: RetentionSettings): DefaultJobOptions {
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) throw new RangeError('retry: attempts must be a positive integer');
  return {
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.delayMs, jitter: 0.2 },
    ...retentionPolicy(retention),
  };
}

/** The classify job id: `'m' + sha256` hex (never an integer, no `:`, architecture habit 7). */
export function classifyJobId(hash: string): string {
  return `m${hash}`;
}

/** The send job id: `'s' + sha256(Message-ID)` of the mail, the same for every retry of its classification. */
export function sendJobId(messageId: string): string {
  return `s${createHash('sha256').update(messageId, 'utf8').digest('hex')}`;
}

export interface PipelineQueues {
  classify: Queue<ClassifyJobData>;
  send: Queue<SendJobData>;
  /** Adds send jobs with their deterministic ids (an existing job with the same id is kept). */
  enqueueMails(mails: readonly OutgoingMail[], receivedAt: string | null, opts?: JobsOptions): Promise<string[]>;
  close(): Promise<void>;
}

export interface QueueSettings {
  connection: ConnectionOptions;
  /** BullMQ key prefix (TRIAGE_REDIS_PREFIX). */
  prefix: string;
  retention: RetentionSettings;
  retry?: Partial<Record<QueueKind, RetrySettings>>;
}

export function createQueues(settings: QueueSettings): PipelineQueues {
  const common = { connection: settings.connection, prefix: settings.prefix };
  const classify = new Queue<ClassifyJobData>(QUEUE_NAMES.classify, {
    ...common,
    defaultJobOptions: defaultJobOptions(settings.retry?.classify ?? DEFAULT_RETRY.classify, settings.retention),
  });
  const send = new Queue<SendJobData>(QUEUE_NAMES.send, {
    ...common,
    defaultJobOptions: defaultJobOptions(settings.retry?.send ?? DEFAULT_RETRY.send, settings.retention),
  });
  return {
    classify,
    send,
    async enqueueMails(mails, receivedAt, opts) {
      if (mails.length === 0) return [];
      const jobs = await send.addBulk(
        mails.map((mail) => ({
          name: mail.kind,
          data: { mail, receivedAt },
          opts: { ...opts, jobId: sendJobId(mail.messageId) },
        })),
      );
      return jobs.map((j) => j.id as string);
    },
    async close() {
      const results = await Promise.allSettled([classify.close(), send.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
