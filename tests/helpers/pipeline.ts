import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig, type Role } from '../../src/config/env';
import { createLogger } from '../../src/log';
import { startApp, type App, type AppOptions } from '../../src/main';
import { scriptedDecide } from './scripted-decide';
import type { SmtpSink } from './smtp-sink';
import { resolveTestRedisUrl } from './test-redis-url';

export const INBOX = 'apoio@medico-online.pt';
export const OMBUDSMAN = 'provedor@exemplo.pt';
export const SECRET = 'test-secret-for-case-tokens-0123456789';

export interface Pipeline {
  app: App;
  prefix: string;
  redisUrl: string;
  /** Resolves once no job waits, runs or is delayed in either queue. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /** Obliterates the queues, stops the app and deletes every key of the test's prefix. */
  stop(): Promise<void>;
}

export interface PipelineOptions {
  sink: SmtpSink;
  role?: Role;
  env?: Record<string, string>;
  source?: AppOptions['source'];
  decide?: AppOptions['decide'];
  now?: () => Date;
  /** Where log lines go (at debug level); default: nowhere. */
  logStream?: { write(line: string): void };
}

/**
 * The real pipeline in process on the test Redis (DB 15 only), with a unique key prefix per test,
 * short retry delays, scripted decisions and the given SMTP sink.
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const redisUrl = resolveTestRedisUrl();
  const prefix = `t${randomBytes(6).toString('hex')}`;
  const config = loadConfig(
    {
      REDIS_URL: redisUrl,
      SMTP_URL: options.sink.url,
      TRIAGE_INBOX_ADDRESS: INBOX,
      TRIAGE_SECRET: SECRET,
      TRIAGE_OMBUDSMAN_ADDRESS: OMBUDSMAN,
      TRIAGE_REDIS_PREFIX: prefix,
      CLASSIFY_CONCURRENCY: '1',
      SEND_CONCURRENCY: '2',
      LOG_LEVEL: 'silent',
      ...options.env,
    },
    { role: options.role ?? 'worker', needs: { imap: false } },
  );
  const app = await startApp({
    config,
    logger: options.logStream ? createLogger({ level: 'debug' }, options.logStream) : createLogger({ level: 'silent' }),
    decide: options.decide ?? scriptedDecide,
    retry: { classify: { attempts: 3, delayMs: 50 }, send: { attempts: 3, delayMs: 50 } },
    holdSweepMs: 0,
    ...(options.source ? { source: options.source } : {}),
    ...(options.now ? { now: options.now } : {}),
  });

  const busy = async (): Promise<number> => {
    let total = 0;
    for (const queue of [app.queues.classify, app.queues.send]) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      total += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    return total;
  };

  return {
    app,
    prefix,
    redisUrl,
    async waitForIdle(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let quiet = 0;
      while (quiet < 3) {
        if (Date.now() > deadline) throw new Error(`pipeline still busy after ${timeoutMs} ms (${await busy()} jobs)`);
        quiet = (await busy()) === 0 ? quiet + 1 : 0;
        await new Promise((r) => setTimeout(r, 40));
      }
    },
    async stop() {
      await app.source?.stop();
      await app.workers?.close();
      for (const queue of [app.queues.classify, app.queues.send]) await queue.obliterate({ force: true }).catch(() => undefined);
      await app.stop();
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
