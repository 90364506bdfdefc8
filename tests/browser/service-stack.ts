import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { MailSource } from '../../src/adapters/ports';
import { loadConfig } from '../../src/config/env';
import { createRedisCaseConsole } from '../../src/http/case-console-redis';
import { hashPassword, hashToken } from '../../src/http/passwords';
import { createLogger } from '../../src/log';
import { startApp } from '../../src/main';
import { parseMessage } from '../../src/adapters/mime';
import { createProtocolCounter } from '../../src/adapters/protocol-counter';
import { buildOmbudsmanCalendar, calendarYears } from '../../src/config/holidays';
import { loadWebStarter } from '../../src/web-role';
import { resolveTestRedisUrl } from '../helpers/test-redis-url';
import { startSmtpSink } from './smtp-sink';
import { INBOX, OMBUDSMAN, STACK_SECRETS, WEB_PASSWORD, WEB_TOKEN, WEB_USER } from './stack';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The service as `triage start` runs it (role `all`: src/main.ts + src/web-role.ts), configured
 * through the environment, on the test Redis (DB 15) under a unique prefix, sending to an
 * in-process SMTP sink. The IMAP poller is replaced by an idle source; tests hand messages to
 * the ingest sink the poller would use.
 */
export async function startServiceStack() {
  const redisUrl = resolveTestRedisUrl(process.env);
  const prefix = `tsvc${randomBytes(5).toString('hex')}`;
  const logs: string[] = [];
  const logger = createLogger(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    }),
  );
  const smtp = await startSmtpSink();
  const port = await freePort();
  const env: Record<string, string> = {
    ROLE: 'all',
    REDIS_URL: redisUrl,
    SMTP_URL: `smtp://tester:${STACK_SECRETS.smtpPassword}@127.0.0.1:${smtp.port}`,
    TRIAGE_INBOX_ADDRESS: INBOX,
    TRIAGE_SECRET: STACK_SECRETS.hmac,
    TRIAGE_OMBUDSMAN_ADDRESS: OMBUDSMAN,
    TRIAGE_REDIS_PREFIX: prefix,
    SEND_ATTEMPTS: '1',
    LOG_LEVEL: 'debug',
    PORT: String(port),
    TRIAGE_WEB_HOST: '127.0.0.1',
    TRIAGE_WEB_USERS: `${WEB_USER}:${await hashPassword(WEB_PASSWORD, { N: 1024, r: 8, p: 1 })}`,
    TRIAGE_WEB_TOKENS: `prometheus:${hashToken(WEB_TOKEN)}`,
    TRIAGE_WEB_SESSION_SECRET: STACK_SECRETS.session,
    TRIAGE_WEB_COOKIE_SECURE: 'false',
  };
  const config = loadConfig(env, { needs: { imap: false } });
  const idle: MailSource = {
    start: async () => undefined,
    stop: async () => undefined,
    status: () => ({ connected: true, lastPollAt: new Date(), lastError: null }),
  };
  const app = await startApp({ config, logger, source: () => idle, startWeb: loadWebStarter(env), holdSweepMs: 0 });
  const baseUrl = `http://127.0.0.1:${port}`;

  // A second console over the same store, for the test's own checks of the timeline.
  const cases = createRedisCaseConsole({
    redis: app.redis,
    store: app.store,
    rules: config.rules,
    parseMessage,
    enqueueMails: (mails, receivedAt) => app.queues.enqueueMails(mails, receivedAt),
    protocols: createProtocolCounter(app.redis, prefix),
    calendarFor: (now) => buildOmbudsmanCalendar(config.rules.ombudsman, calendarYears(now, config.rules.ombudsman.timezone)),
    inboxAddress: INBOX,
    fromName: config.fromName,
    secret: STACK_SECRETS.hmac,
    logger,
  });

  async function ingestEml(raw: string): Promise<string> {
    const receipt = await app.ingest.ingest(Buffer.from(raw.replace(/\r?\n/g, '\r\n'), 'utf8'), { source: 'test', receivedAt: new Date() });
    return receipt.jobId;
  }

  async function waitForCase(messageId: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const caseId = await app.redis.get(`${prefix}:mid:${messageId}`);
      if (caseId) return caseId;
      if (Date.now() > deadline) throw new Error(`message ${messageId} opened no case after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stop(): Promise<void> {
    try {
      await app.queues.classify.obliterate({ force: true });
      await app.queues.send.obliterate({ force: true });
      let cursor = '0';
      do {
        const [next, keys] = await app.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await app.redis.del(...keys);
      } while (cursor !== '0');
    } catch (err) {
      process.stderr.write(`service stack cleanup: ${(err as Error).message}\n`);
    }
    await app.stop();
    await smtp.close();
  }

  return { app, baseUrl, prefix, smtp, cases, queues: app.queues, rules: config.rules, logs, ingestEml, waitForCase, stop };
}

export type ServiceStack = Awaited<ReturnType<typeof startServiceStack>>;
