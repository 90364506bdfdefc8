import type { Redis } from 'ioredis';
import { createCaseStore, type CaseStore } from './adapters/case-store';
import { createIngestSink } from './adapters/ingest';
import type { IngestSink, MailSource } from './adapters/ports';
import { createProtocolCounter } from './adapters/protocol-counter';
import { createQueues, type PipelineQueues } from './adapters/queues';
import { bullConnection, createRedis, quitRedis } from './adapters/redis';
import { createSendJournal } from './adapters/send-journal';
import { createSentFolderCheck } from './adapters/sent-folder';
import { parseImapUrl, toImapConnectionOptions } from './adapters/imap-url';
import { createSmtpSender, type MailSender } from './adapters/smtp-sender';
import type { BusinessCalendar } from './core/business-days';
import { decide as coreDecide } from './core';
import { toLocalDate } from './core/business-days';
import { buildOmbudsmanCalendar, calendarYears } from './config/holidays';
import { describeConfig, type AppConfig, type Role } from './config/env';
import { createLogger, type Logger } from './log';
import { createMetrics, recordDecision, recordMailFailed, recordMailSent, type TriageMetrics } from './http/metrics';
import { createPoller } from './workers/poller';
import type { DecideFn } from './workers/classifier';
import { createWorkers, type RunningWorkers } from './workers';

/**
 * The composition root: builds every part from the validated config and wires them. Nothing here
 * runs on import (architecture habit 11); `startApp` starts what the role needs and returns a
 * handle whose `stop()` shuts down in order (habit 10).
 *
 * Roles (one image, several roles): `poller` (IMAP → Redis), `worker` (classify + send), `web`
 * (console, dashboard, metrics, health) and `all` (everything, one process).
 */

export interface WebHandle {
  close(): Promise<void>;
}

export interface WebContext {
  config: AppConfig;
  /** The clock of the whole process (tests walk it through days): deadlines, overdue, sessions. */
  now?: () => Date;
  metrics: TriageMetrics;
  calendarFor: (now: Date) => BusinessCalendar;
  logger: Logger;
  redis: Redis;
  store: CaseStore;
  queues: PipelineQueues;
  source: MailSource | null;
  sender: MailSender | null;
}

export interface AppOptions {
  config: AppConfig;
  logger?: Logger;
  /** Replaces SMTP (the demo writes files; tests use their own sink). */
  sender?: MailSender;
  /** Replaces the IMAP poller (the demo reads a folder). */
  source?: (sink: IngestSink, ctx: { redis: Redis; logger: Logger }) => MailSource;
  /** Replaces the decision core (tests with scripted decisions). */
  decide?: DecideFn;
  /** Starts the web role; without it the web role only logs that it has nothing to serve. */
  startWeb?: (ctx: WebContext) => Promise<WebHandle>;
  /** Test knobs. */
  holdSweepMs?: number;
  now?: () => Date;
  retry?: Parameters<typeof createQueues>[0]['retry'];
}

export interface App {
  config: AppConfig;
  logger: Logger;
  redis: Redis;
  store: CaseStore;
  queues: PipelineQueues;
  ingest: IngestSink;
  workers: RunningWorkers | null;
  source: MailSource | null;
  web: WebHandle | null;
  stop(): Promise<void>;
}

export function roleRuns(role: Role): { poller: boolean; worker: boolean; web: boolean } {
  return { poller: role === 'all' || role === 'poller', worker: role === 'all' || role === 'worker', web: role === 'all' || role === 'web' };
}

export async function startApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.log.level, pretty: config.log.pretty });
  const log = logger.child({ component: 'main' });
  const runs = roleRuns(config.role);
  log.info({ config: describeConfig(config) }, 'starting');

  const kind = runs.worker || runs.poller ? 'worker' : 'producer';
  const redis = createRedis(config.redisUrl, kind, `triage-${config.role}`);
  redis.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
  const store = createCaseStore(redis, config.redisPrefix);
  const queues = createQueues({
    connection: bullConnection(config.redisUrl, kind, `triage-${config.role}-queues`),
    prefix: config.redisPrefix,
    retention: { completedDays: config.retention.completedDays },
    retry: options.retry ?? { send: { attempts: config.workers.sendAttempts, delayMs: config.workers.sendRetryDelayMs } },
  });
  const ingest = createIngestSink({ store, queues, rawRetentionDays: config.retention.rawDays, logger });

  // Metrics live in the process that serves them: recorded by the workers when the web role runs beside them.
  const metrics = runs.web ? createMetrics() : null;
  const calendarFor = calendarCache(config.rules);
  let sender: MailSender | null = null;
  let workers: RunningWorkers | null = null;
  let source: MailSource | null = null;
  let web: WebHandle | null = null;

  const app: App = {
    config,
    logger,
    redis,
    store,
    queues,
    ingest,
    get workers() {
      return workers;
    },
    get source() {
      return source;
    },
    get web() {
      return web;
    },
    stop: () => shutdown(),
  };

  let stopping: Promise<void> | null = null;
  function shutdown(): Promise<void> {
    stopping ??= (async () => {
      // Architecture habit 10: each step in its own try/catch, every step runs even if one fails.
      const step = async (name: string, fn: (() => Promise<void> | void) | null): Promise<void> => {
        if (!fn) return;
        try {
          await fn();
          log.info({ step: name }, 'stopped');
        } catch (err) {
          log.error({ step: name, err }, 'shutdown step failed');
        }
      };
      const [s, w, m, h] = [source, workers, sender, web];
      await step('poller', s && (() => s.stop()));
      await step('workers', w && (() => w.close()));
      await step('queues', () => queues.close());
      await step('smtp', m && (() => m.close()));
      await step('web', h && (() => h.close()));
      await step('redis', () => quitRedis(redis));
    })();
    return stopping;
  }

  try {
    if (runs.worker) {
      if (!config.inboxAddress || !config.secret) throw new Error('the worker role needs TRIAGE_INBOX_ADDRESS and TRIAGE_SECRET');
      sender =
        options.sender ??
        (config.smtp ? createSmtpSender({ url: config.smtp.url, poolSize: config.smtp.poolSize, logger }) : null);
      if (!sender) throw new Error('the worker role needs SMTP_URL');
      const rules = config.rules;
      const now = options.now;
      workers = createWorkers({
        connection: bullConnection(config.redisUrl, 'worker', 'triage-workers'),
        prefix: config.redisPrefix,
        store,
        logger,
        classifyConcurrency: config.workers.classifyConcurrency,
        sendConcurrency: config.workers.sendConcurrency,
        lockDurationMs: config.workers.lockMs,
        maxStalledCount: config.workers.maxStalled,
        ...(options.holdSweepMs !== undefined ? { holdSweepMs: options.holdSweepMs } : {}),
        ...(now ? { now } : {}),
        classifier: {
          store,
          enqueueMails: (mails, receivedAt) => queues.enqueueMails(mails, receivedAt),
          rules,
          decide: options.decide ?? coreDecide,
          inboxAddress: config.inboxAddress,
          fromName: config.fromName,
          secret: config.secret,
          protocols: createProtocolCounter(redis, config.redisPrefix),
          calendarFor,
          logger,
          ...(now ? { now } : {}),
          ...(metrics ? { onDecided: (outcome: string, categories: string[]) => recordDecision(metrics, outcome, categories) } : {}),
        },
        router: {
          store,
          sender,
          rules,
          logger,
          journal: createSendJournal(redis, config.redisPrefix),
          ...(config.smtp?.sentFolder && config.imap
            ? {
                findSent: createSentFolderCheck({
                  connection: toImapConnectionOptions(parseImapUrl(config.imap.url)),
                  folder: config.smtp.sentFolder,
                  logger,
                }),
              }
            : {}),
          ...(now ? { now } : {}),
          ...(metrics
            ? {
                onSent: (data: { mail: { kind: string }; receivedAt: string | null }, at: Date) =>
                  recordMailSent(metrics, data.mail.kind, data.receivedAt ? new Date(data.receivedAt) : null, at),
                onFailed: (data: { mail: { kind: string } }, failure: 'permanent' | 'transient') => recordMailFailed(metrics, data.mail.kind, failure),
              }
            : {}),
        },
      });
      if (!options.sender) {
        sender.verify().then(
          () => log.info('smtp server reachable'),
          (err: unknown) => log.warn({ err }, 'smtp server not reachable yet; sends will be retried'),
        );
      }
    }

    if (runs.poller) {
      if (options.source) {
        source = options.source(ingest, { redis, logger });
      } else {
        if (!config.imap) throw new Error('the poller role needs IMAP_URL');
        source = createPoller(
          {
            imapUrl: config.imap.url,
            markHandled: config.imap.markHandled,
            maxMessageBytes: config.rules.limits.maxMessageBytes,
            pollIntervalMs: config.imap.pollSeconds * 1000,
            leaseTtlMs: config.imap.leaseSeconds * 1000,
            keyPrefix: config.redisPrefix,
          },
          { sink: ingest, redis, logger },
        );
      }
      await source.start();
    }

    if (runs.web) {
      if (options.startWeb) {
        web = await options.startWeb({
          config,
          metrics: metrics ?? createMetrics(),
          calendarFor,
          logger,
          redis,
          store,
          queues,
          source,
          sender,
          ...(options.now ? { now: options.now } : {}),
        });
      } else {
        log.warn('the web role has nothing to serve in this build');
      }
    }
  } catch (err) {
    await shutdown();
    throw err;
  }

  log.info({ role: config.role }, 'started');
  return app;
}

/** The ombudsman calendar for the local year of `now`, rebuilt when the year changes (policy §4). */
function calendarCache(rules: AppConfig['rules']): (now: Date) => BusinessCalendar {
  let cached: { year: string; calendar: BusinessCalendar } | null = null;
  return (now: Date) => {
    const year = toLocalDate(now, rules.ombudsman.timezone).slice(0, 4);
    if (!cached || cached.year !== year) {
      cached = { year, calendar: buildOmbudsmanCalendar(rules.ombudsman, calendarYears(now, rules.ombudsman.timezone)) };
    }
    return cached.calendar;
  };
}
