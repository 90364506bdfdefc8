import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { mailEvent, type CaseStore } from '../adapters/case-store';
import { QUEUE_NAMES, type ClassifyJobData, type SendJobData } from '../adapters/queues';
import type { Logger } from '../log';
import { createClassifier, type ClassifierDeps, type ClassifyOutcome } from './classifier';
import { createOmbudsmanActions } from './ombudsman';
import { createRouter, type RouterDeps, type SendOutcome } from './router';

export interface WorkersDeps {
  /** BullMQ connection options (worker kind: `maxRetriesPerRequest: null`). */
  connection: ConnectionOptions;
  prefix: string;
  classifier: ClassifierDeps;
  router: RouterDeps;
  store: CaseStore;
  logger: Logger;
  classifyConcurrency: number;
  sendConcurrency: number;
  /**
   * BullMQ job lock (renewed at half; default 30 s): a job whose worker died is taken again once
   * its lock has run out, checked every half lock.
   */
  lockDurationMs?: number;
  /** Times a job may lose its worker before it goes to the failed jobs (default 5; BullMQ's own is 1). */
  maxStalledCount?: number;
  /**
   * How often the sweeps run: held cases against `limits.holdDays`, ombudsman deadlines against
   * `ombudsman.reminderBusinessDaysBefore`; 0 turns them off.
   */
  holdSweepMs?: number;
  /** Which workers to run (default both). */
  run?: { classify?: boolean; send?: boolean };
  now?: () => Date;
}

export interface RunningWorkers {
  classify: Worker<ClassifyJobData, ClassifyOutcome> | null;
  send: Worker<SendJobData, SendOutcome> | null;
  /** Held cases past `limits.holdDays` → review (also run by the timer). */
  sweepHeld(): Promise<string[]>;
  /** Ombudsman deadlines near: the team is reminded, once per deadline (also run by the timer). */
  sweepOmbudsman(): Promise<string[]>;
  /** Stops taking jobs and waits for the ones in flight (a send in progress finishes). */
  close(): Promise<void>;
}

/**
 * The classify and send workers (architecture habit 11: built by a function, nothing on import).
 * Closing waits for in-flight jobs, so a mail the SMTP server accepted gets its sent marker
 * before the process exits (habit 10).
 */
export function createWorkers(deps: WorkersDeps): RunningWorkers {
  const log = deps.logger.child({ component: 'workers' });
  const clock = deps.now ?? (() => new Date());
  const classifyFn = createClassifier(deps.classifier);
  const routeFn = createRouter(deps.router);
  // Jobs are idempotent (case-store markers): running one again after a crash is harmless, so a
  // few crashes in a row (several SIGKILLs while draining) do not dead-letter a message.
  const lockDuration = deps.lockDurationMs ?? 30_000;
  const common = {
    connection: deps.connection,
    prefix: deps.prefix,
    lockDuration,
    stalledInterval: Math.max(500, Math.floor(lockDuration / 2)),
    maxStalledCount: deps.maxStalledCount ?? 5,
  };
  const runClassify = deps.run?.classify ?? true;
  const runSend = deps.run?.send ?? true;

  const classify = runClassify
    ? new Worker<ClassifyJobData, ClassifyOutcome>(QUEUE_NAMES.classify, (job) => classifyFn(job.data), {
        ...common,
        concurrency: deps.classifyConcurrency,
      })
    : null;
  const send = runSend
    ? new Worker<SendJobData, SendOutcome>(QUEUE_NAMES.send, (job) => routeFn(job.data), {
        ...common,
        concurrency: deps.sendConcurrency,
      })
    : null;

  classify?.on('failed', (job: Job<ClassifyJobData> | undefined, err: Error) => {
    const final = !job || err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    log.error({ jobId: job?.id, hash: job?.data.hash, attemptsMade: job?.attemptsMade, final, err }, 'classify job failed');
  });
  send?.on('failed', (job: Job<SendJobData> | undefined, err: Error) => {
    const permanent = err instanceof UnrecoverableError || err.name === 'UnrecoverableError';
    const final = !job || permanent || job.attemptsMade >= (job.opts.attempts ?? 1);
    log.warn({ jobId: job?.id, caseId: job?.data.mail.caseId, step: job?.data.mail.step, attemptsMade: job?.attemptsMade, final, err }, 'send job failed');
    // A permanent failure recorded itself; a transient one that ran out of attempts is recorded here.
    if (job && final && !permanent) {
      const { mail } = job.data;
      deps.store
        .appendEvent(mail.caseId, mailEvent(mail, clock().toISOString(), 'failed', `gave up after ${job.attemptsMade} attempts: ${err.message}`))
        .catch((e: unknown) => log.warn({ err: e }, 'could not record the failed send'));
    }
  });
  for (const worker of [classify, send]) worker?.on('error', (err: Error) => log.error({ err, queue: worker.name }, 'worker error'));

  const holdDays = deps.classifier.rules.limits.holdDays;
  async function sweepHeld(): Promise<string[]> {
    const now = clock();
    const due = await deps.store.heldBefore(new Date(now.getTime() - holdDays * 86_400_000));
    const moved: string[] = [];
    for (const id of due) {
      const reason = `identity still incomplete after ${holdDays} days`;
      const at = now.toISOString();
      const updated = await deps.store.updateCase(
        id,
        (record) => (record.status === 'held' ? { ...record, status: 'review', statusReason: reason, updatedAt: at } : null),
        (record) => [{ kind: 'decision', at, action: 'review', categories: record.categories, reasons: [], missing: [], reason, by: null }],
      );
      if (updated?.status === 'review') moved.push(id);
    }
    if (moved.length > 0) log.info({ cases: moved, holdDays }, 'held cases moved to review');
    return moved;
  }

  const c = deps.classifier;
  const ombudsman = createOmbudsmanActions({
    store: deps.store,
    enqueueMails: c.enqueueMails,
    rules: c.rules,
    calendarFor: c.calendarFor,
    inboxAddress: c.inboxAddress,
    fromName: c.fromName,
    secret: c.secret,
    logger: deps.logger,
    now: clock,
  });
  const sweepOmbudsman = () => ombudsman.sweepReminders();

  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<unknown> | null = null;
  if (runClassify && (deps.holdSweepMs ?? 3_600_000) > 0) {
    // Every instance sweeps: the case store's compare-and-set and the mails' fixed job ids make
    // concurrent sweeps harmless.
    timer = setInterval(() => {
      sweeping = Promise.all([
        sweepHeld().catch((err: unknown) => log.warn({ err }, 'hold sweep failed')),
        sweepOmbudsman().catch((err: unknown) => log.warn({ err }, 'ombudsman sweep failed')),
      ]);
    }, deps.holdSweepMs ?? 3_600_000);
    timer.unref();
  }

  return {
    classify,
    send,
    sweepHeld,
    sweepOmbudsman,
    async close() {
      if (timer) clearInterval(timer);
      const results = await Promise.allSettled([classify?.close(), send?.close(), sweeping]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
