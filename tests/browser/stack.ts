import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createCaseStore, type CaseStore } from '../../src/adapters/case-store';
import { createIngestSink } from '../../src/adapters/ingest';
import { parseMessage } from '../../src/adapters/mime';
import { createProtocolCounter } from '../../src/adapters/protocol-counter';
import { createQueues, sendJobId, type PipelineQueues } from '../../src/adapters/queues';
import { bullConnection } from '../../src/adapters/redis';
import { createSmtpSender } from '../../src/adapters/smtp-sender';
import { mergeEnvIntoRules } from '../../src/config/env';
import { buildOmbudsmanCalendar, calendarYears } from '../../src/config/holidays';
import { loadRules } from '../../src/config/load';
import { decide } from '../../src/core/decide';
import type { Rules } from '../../src/core/types';
import { createRedisCaseConsole } from '../../src/http/case-console-redis';
import type { CaseConsole } from '../../src/http/console-port';
import { createMetrics, recordDecision, recordMailSent, type TriageMetrics } from '../../src/http/metrics';
import { hashPassword, hashToken, parseScryptHash } from '../../src/http/passwords';
import { buildServer } from '../../src/http/server';
import { createLogger } from '../../src/log';
import { createWorkers, type RunningWorkers } from '../../src/workers';
import { resolveTestRedisUrl } from '../helpers/test-redis-url';
import { startSmtpSink } from './smtp-sink';

export const INBOX = 'apoio@triage.example.pt';
export const OMBUDSMAN = 'ouvidoria@triage.example.pt';
export const WEB_USER = 'agente';
export const WEB_PASSWORD = 'uma-palavra-passe-longa';
export const WEB_TOKEN = 'scrape_0123456789abcdefghijklmnopqrstuvwxyz';
/** Secrets of the test stack: the log grep checks none of them is ever written. */
export const STACK_SECRETS = {
  session: `session-${randomBytes(16).toString('hex')}`,
  hmac: `hmac-${randomBytes(16).toString('hex')}`,
  smtpPassword: `smtp-${randomBytes(8).toString('hex')}`,
};

/**
 * The whole service in process, on the test Redis (DB 15 only) under a unique prefix, sending to
 * an in-process SMTP sink, with the web role listening on a free local port. Every log line
 * written is kept in `logs` for the grep tests.
 */
export async function startStack() {
  const redisUrl = resolveTestRedisUrl(process.env);
  const prefix = `tweb${randomBytes(5).toString('hex')}`;
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug' }, logStream);
  const smtp = await startSmtpSink();
  const rules: Rules = mergeEnvIntoRules(loadRules(), OMBUDSMAN, INBOX);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const store: CaseStore = createCaseStore(redis, prefix);
  const connection = bullConnection(redisUrl, 'worker', 'test');
  const queues: PipelineQueues = createQueues({
    connection,
    prefix,
    retention: { completedDays: 1 },
    retry: { classify: { attempts: 2, delayMs: 200 }, send: { attempts: 1, delayMs: 200 } },
  });
  const sender = createSmtpSender({ url: `smtp://tester:${STACK_SECRETS.smtpPassword}@127.0.0.1:${smtp.port}`, poolSize: 2, logger, timeoutMs: 5000 });
  const protocols = createProtocolCounter(redis, prefix);
  const calendarFor = (now: Date) => buildOmbudsmanCalendar(rules.ombudsman, calendarYears(now, rules.ombudsman.timezone));
  const metrics: TriageMetrics = createMetrics(new Registry(), { defaultMetrics: false });

  const workers: RunningWorkers = createWorkers({
    connection,
    prefix,
    store,
    logger,
    classifyConcurrency: 2,
    sendConcurrency: 2,
    holdSweepMs: 0,
    classifier: {
      store,
      enqueueMails: (mails, receivedAt) => queues.enqueueMails(mails, receivedAt),
      rules,
      decide: (message, state, r, now) => {
        const decision = decide(message, state, r, now);
        recordDecision(metrics, decision.action, decision.routes.map((route) => route.category));
        return decision;
      },
      inboxAddress: INBOX,
      fromName: 'Apoio Médico Online',
      secret: STACK_SECRETS.hmac,
      protocols,
      calendarFor,
      logger,
    },
    router: {
      store,
      sender,
      rules,
      logger,
      onSent: (data, now) => recordMailSent(metrics, data.mail.kind, data.receivedAt ? new Date(data.receivedAt) : null, now),
    },
  });
  const ingest = createIngestSink({ store, queues, rawRetentionDays: 1, logger });

  const cases: CaseConsole = createRedisCaseConsole({
    redis,
    store,
    rules,
    parseMessage,
    enqueueMails: (mails, receivedAt) => queues.enqueueMails(mails, receivedAt),
    mailJobState: async (messageId) => {
      const job = await queues.send.getJob(sendJobId(messageId));
      return job ? { state: await job.getState(), failedReason: job.failedReason ?? null } : null;
    },
    protocols,
    calendarFor,
    inboxAddress: INBOX,
    fromName: 'Apoio Médico Online',
    secret: STACK_SECRETS.hmac,
    logger,
  });

  const hash = parseScryptHash(await hashPassword(WEB_PASSWORD, { N: 1024, r: 8, p: 1 }));
  if (!hash) throw new Error('test password hash did not parse');
  const app = buildServer({
    auth: {
      users: new Map([[WEB_USER, { name: WEB_USER, hash }]]),
      tokens: [{ name: 'prometheus', digest: hashToken(WEB_TOKEN) }],
      sessionSecret: STACK_SECRETS.session,
      sessionTtlMs: 3600_000,
      cookieSecure: false,
      allowedOrigins: [],
    },
    logger,
    queues: [queues.classify, queues.send] as unknown as Queue[],
    cases,
    probes: {
      redis: async () => ({ ok: (await redis.ping()) === 'PONG' }),
      smtp: async () => {
        await sender.verify();
        return { ok: true };
      },
      queue: async () => {
        await queues.send.getJobCounts('waiting');
        return { ok: true };
      },
    },
    metrics,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;

  async function ingestEml(raw: string): Promise<string> {
    const receipt = await ingest.ingest(Buffer.from(raw.replace(/\r?\n/g, '\r\n'), 'utf8'), { source: 'test', receivedAt: new Date() });
    return receipt.jobId;
  }

  /** Waits until `predicate` holds for the case the message with `messageId` opened. */
  async function waitForCase(messageId: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const caseId = await redis.get(`${prefix}:mid:${messageId}`);
      if (caseId) return caseId;
      if (Date.now() > deadline) throw new Error(`message ${messageId} opened no case after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stop(): Promise<void> {
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['http', () => app.close()],
      ['workers', () => workers.close()],
      ['obliterate', async () => {
        await queues.classify.obliterate({ force: true });
        await queues.send.obliterate({ force: true });
      }],
      ['queues', () => queues.close()],
      ['keys', async () => {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
      }],
      ['redis', () => redis.quit()],
      ['smtp sender', () => sender.close()],
      ['smtp sink', () => smtp.close()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        process.stderr.write(`stack stop: ${name}: ${(err as Error).message}\n`);
      }
    }
  }

  return { app, baseUrl, prefix, redis, store, queues, smtp, cases, metrics, logs, ingestEml, waitForCase, stop, rules };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** An .eml as a customer would send it (plain text, Portuguese). */
export function eml(headers: Record<string, string>, body: string): string {
  const base: Record<string, string> = {
    From: 'Cliente <cliente@example.pt>',
    To: INBOX,
    Date: new Date().toUTCString(),
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    ...headers,
  };
  return `${Object.entries(base)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')}\n\n${body}\n`;
}
