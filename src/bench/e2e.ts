import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { messageHash } from '../adapters/ingest';
import { MESSAGE_OUTCOMES } from '../core/case-matching';
import { loadConfig } from '../config/env';
import { appendMessagesTo, isDovecotInstalled, startDovecot, type DovecotHandle } from '../dev/dovecot';
import { createLogger } from '../log';
import { startApp, type App } from '../main';
import { E2E_TARGETS } from './e2e-report';
import { generateMessages, type BenchMessage } from './generate';

/**
 * The end-to-end figure of `npm run bench` (issue 4): the running service against a private
 * Dovecot, the machine's Redis (a bench-only key prefix, removed after) and an SMTP sink, beside
 * a bare pipeline on the same messages in the same run.
 *
 * - Drain: the messages are APPENDed to an INBOX first, then the service (poller, classify and
 *   send workers in one process, real rules) drains them: messages/s, and p50/p99 of the time
 *   from the start of the drain to each message's last mail accepted by the sink.
 * - Bare: the same messages in another INBOX, through imapflow FETCH → mailparser →
 *   BullMQ → pooled nodemailer send, no decisions, no cases, no marking: the same figures.
 * - Steady: the service idling on its INBOX (IMAP IDLE), new messages APPENDed at a steady rate:
 *   p50/p99 from each APPEND to its last mail accepted by the sink (target p99 < 2 s).
 *
 * Runs in its own process (`node dist/bench/e2e.js`), so the explain section's peak RSS is its
 * own; run.ts starts it and prints its last JSON line.
 *
 *   node dist/bench/e2e.js [--count 2000] [--seed 20261118] [--rate 10] [--steady-seconds 30]
 */

export interface E2eOptions {
  count: number;
  seed: number;
  /** Steady phase: messages per second and for how long. */
  rate: number;
  steadySeconds: number;
  /** Redis for the bench: BENCH_REDIS_URL, else DB 15 of the local server (keys under a unique prefix, removed after). */
  redisUrl: string;
}

export interface PhaseResult {
  messages: number;
  /** Mails accepted by the sink. */
  mails: number;
  seconds: number;
  messagesPerSecond: number;
  /** Per message with mail: from the start of the drain (or its APPEND, steady phase) to its last mail accepted. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Messages that caused no mail (review, suppressed, over the daily cap). */
  withoutMail: number;
}

export interface E2eResult {
  skipped: string | null;
  appendMessagesPerSecond: number | null;
  service: PhaseResult | null;
  bare: PhaseResult | null;
  /** service ÷ bare messages/s. */
  ratio: number | null;
  steady: (PhaseResult & { rate: number }) | null;
  peakRssMib: number;
  targets: { ratio: boolean | null; steadyP99: boolean | null };
}


const INBOX_ADDRESS = 'apoio@bench.medico-online.example';
const BARE_TO = 'equipa@bench.example';
/** The bare mail carries the subject and the start of the text: the chain's cost, not the payload's. */
const BARE_TEXT_CHARS = 4096;

interface SinkRecord {
  at: number;
  caseId: string | null;
  source: string | null;
}

/** A light SMTP sink: reads only the header block of each mail, keeps when and whose it was. */
async function startSink(): Promise<{ url: string; records: SinkRecord[]; close(): Promise<void> }> {
  const records: SinkRecord[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    size: 64 * 1024 * 1024,
    onData(stream, _session, callback) {
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 65_536 && !head.includes('\r\n\r\n')) head += chunk.toString('latin1', 0, Math.min(chunk.length, 65_536));
      });
      stream.on('end', () => {
        const block = head.slice(0, Math.max(0, head.indexOf('\r\n\r\n'))).replace(/\r\n[ \t]+/g, ' ');
        records.push({
          at: Date.now(),
          caseId: /^x-triage-case:\s*(\S+)/im.exec(block)?.[1] ?? null,
          source: /^x-bench-source:\s*(\S+)/im.exec(block)?.[1] ?? null,
        });
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, records, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** The message with another Message-ID (the steady phase must not repeat the drain's ids). */
function withMessageId(raw: Buffer, id: string): Buffer {
  const text = raw.toString('latin1');
  return Buffer.from(text.replace(/^Message-ID:[^\r\n]*/im, `Message-ID: ${id}`), 'latin1');
}

/** Per message hash: the time of its last mail at the sink, from the records' case ids. */
async function lastMailByMessage(app: App, hashes: string[], records: SinkRecord[]): Promise<Map<string, number>> {
  const caseOf = new Map<string, string>();
  for (const hash of hashes) {
    const record = await app.store.getMessage(hash);
    if (record?.caseId) caseOf.set(record.caseId, hash);
  }
  const last = new Map<string, number>();
  for (const r of records) {
    const hash = r.caseId ? caseOf.get(r.caseId) : undefined;
    if (hash) last.set(hash, Math.max(last.get(hash) ?? 0, r.at));
  }
  return last;
}

async function processedCount(redis: Redis, prefix: string): Promise<number> {
  const counts = await Promise.all(MESSAGE_OUTCOMES.map((o) => redis.zcard(`${prefix}:messages:${o}`)));
  return counts.reduce((a, b) => a + b, 0);
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`e2e bench: ${what} not reached in ${timeoutMs / 1000} s`);
    await sleep(25);
  }
}

export async function runE2e(options: E2eOptions): Promise<E2eResult> {
  const empty = (skipped: string): E2eResult => ({
    skipped,
    appendMessagesPerSecond: null,
    service: null,
    bare: null,
    ratio: null,
    steady: null,
    peakRssMib: process.resourceUsage().maxRSS / 1024,
    targets: { ratio: null, steadyP99: null },
  });
  if (!isDovecotInstalled()) return empty('Dovecot is not installed (apt-get install -y dovecot-imapd)');
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    return empty(`no Redis at ${options.redisUrl.replace(/\/\/[^@/]*@/, '//***@')}: ${(err as Error).message}`);
  }

  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const barePrefix = `${prefix}-bare`;
  let dovecot: DovecotHandle | null = null;
  let sink: Awaited<ReturnType<typeof startSink>> | null = null;
  let app: App | null = null;
  try {
    dovecot = await startDovecot();
    sink = await startSink();
    const messages: BenchMessage[] = generateMessages({ count: options.count, seed: options.seed });
    const raws = messages.map((m) => m.raw);

    // Both inboxes get the same messages before anything reads them.
    const appendStarted = performance.now();
    await appendMessagesTo(dovecot.connection('service'), 'INBOX', raws);
    const appendMessagesPerSecond = raws.length / ((performance.now() - appendStarted) / 1000);
    await appendMessagesTo(dovecot.connection('bare'), 'INBOX', raws);

    // --- the bare pipeline -------------------------------------------------------------------
    const bare = await runBare({ dovecot, sinkUrl: sink.url, records: sink.records, redisUrl: options.redisUrl, prefix: barePrefix, count: raws.length });
    sink.records.length = 0;

    // --- the service: drain -----------------------------------------------------------------
    const config = loadConfig(
      {
        REDIS_URL: options.redisUrl,
        TRIAGE_REDIS_PREFIX: prefix,
        IMAP_URL: dovecot.url('service'),
        // IDLE carries the steady phase; the fallback poll must not be what finds new mail.
        IMAP_POLL_SECONDS: '60',
        SMTP_URL: sink.url,
        TRIAGE_INBOX_ADDRESS: INBOX_ADDRESS,
        TRIAGE_SECRET: randomBytes(32).toString('hex'),
        TRIAGE_OMBUDSMAN_ADDRESS: 'provedor@bench.example',
        LOG_LEVEL: 'error',
      },
      { role: 'all' },
    );
    const drainStarted = Date.now();
    app = await startApp({ config, logger: createLogger({ level: 'error' }) });
    const started = app;
    await waitUntil(async () => (await processedCount(redis, prefix)) >= raws.length, 600_000, 'every message processed');
    await waitUntil(
      async () => {
        const counts = await started.queues.send.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      },
      600_000,
      'the send queue empty',
    );
    const drainEnded = Math.max(Date.now() - 25, ...sink.records.map((r) => r.at));
    const hashes = raws.map((raw) => messageHash(raw));
    const last = await lastMailByMessage(app, hashes, sink.records);
    const drainLatencies = [...last.values()].map((at) => at - drainStarted);
    const seconds = (drainEnded - drainStarted) / 1000;
    const service: PhaseResult = {
      messages: raws.length,
      mails: sink.records.length,
      seconds,
      messagesPerSecond: raws.length / seconds,
      p50Ms: percentile(drainLatencies, 50),
      p99Ms: percentile(drainLatencies, 99),
      withoutMail: raws.length - last.size,
    };

    // --- the service: steady rate over IDLE ---------------------------------------------------
    sink.records.length = 0;
    const steadyCount = Math.max(1, Math.round(options.rate * options.steadySeconds));
    const steadyRaws = generateMessages({ count: steadyCount, seed: options.seed + 1 }).map((m, i) => withMessageId(m.raw, `<steady-${i}.${prefix}@bench.example>`));
    const appendedAt = new Map<string, number>();
    const client = new ImapFlow({ ...dovecot.connection('service'), logger: false, disableAutoIdle: true });
    client.on('error', () => undefined);
    await client.connect();
    const base = Date.now();
    const pending: Array<Promise<unknown>> = [];
    for (let i = 0; i < steadyRaws.length; i++) {
      const wait = base + (i * 1000) / options.rate - Date.now();
      if (wait > 0) await sleep(wait);
      const raw = steadyRaws[i]!;
      appendedAt.set(messageHash(raw), Date.now());
      pending.push(client.append('INBOX', raw));
    }
    await Promise.all(pending);
    await client.logout().catch(() => client.close());
    const before = service.messages;
    await waitUntil(async () => (await processedCount(redis, prefix)) >= before + steadyRaws.length, 120_000, 'every steady message processed');
    await waitUntil(
      async () => {
        const counts = await started.queues.send.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      },
      120_000,
      'the send queue empty after the steady phase',
    );
    const steadyLast = await lastMailByMessage(app, [...appendedAt.keys()], sink.records);
    const steadyLatencies = [...steadyLast].map(([hash, at]) => at - (appendedAt.get(hash) ?? at));
    const steadySeconds = (Date.now() - base) / 1000;
    const steady = {
      rate: options.rate,
      messages: steadyRaws.length,
      mails: sink.records.length,
      seconds: steadySeconds,
      messagesPerSecond: steadyRaws.length / steadySeconds,
      p50Ms: percentile(steadyLatencies, 50),
      p99Ms: percentile(steadyLatencies, 99),
      withoutMail: steadyRaws.length - steadyLast.size,
    };

    const ratio = bare.messagesPerSecond > 0 ? service.messagesPerSecond / bare.messagesPerSecond : null;
    return {
      skipped: null,
      appendMessagesPerSecond,
      service,
      bare,
      ratio,
      steady,
      peakRssMib: process.resourceUsage().maxRSS / 1024,
      targets: {
        ratio: ratio === null ? null : ratio >= E2E_TARGETS.minRatio,
        steadyP99: steady.p99Ms === null ? null : steady.p99Ms < E2E_TARGETS.maxSteadyP99Ms,
      },
    };
  } finally {
    if (app) {
      await app.source?.stop().catch(() => undefined);
      await app.workers?.close().catch(() => undefined);
      for (const queue of [app.queues.classify, app.queues.send]) await queue.obliterate({ force: true }).catch(() => undefined);
      await app.stop().catch(() => undefined);
    }
    await deletePrefix(redis, prefix).catch(() => undefined);
    await deletePrefix(redis, barePrefix).catch(() => undefined);
    redis.disconnect();
    await sink?.close();
    await dovecot?.stop({ remove: true });
  }
}

/**
 * imapflow FETCH → mailparser → BullMQ → pooled nodemailer: one plain mail per message to a
 * fixed address (subject and the first 4 KiB of text), tagged with the message's Message-ID. No
 * decisions, no cases, no raw copy in Redis, no marking on the server.
 */
async function runBare(p: {
  dovecot: DovecotHandle;
  sinkUrl: string;
  records: SinkRecord[];
  redisUrl: string;
  prefix: string;
  count: number;
}): Promise<PhaseResult> {
  const connection = { url: p.redisUrl, maxRetriesPerRequest: null } as never;
  const queue = new Queue<{ source: string; subject: string; text: string }>('bare', { connection, prefix: p.prefix });
  const url = new URL(p.sinkUrl);
  const transport = createTransport({ pool: true, maxConnections: 5, host: url.hostname, port: Number(url.port), secure: false });
  const worker = new Worker<{ source: string; subject: string; text: string }>(
    'bare',
    async (job) => {
      await transport.sendMail({
        from: INBOX_ADDRESS,
        to: BARE_TO,
        subject: `Fwd: ${job.data.subject}`,
        text: job.data.text,
        headers: { 'X-Bench-Source': job.data.source },
      });
    },
    { connection, prefix: p.prefix, concurrency: 16 },
  );
  const started = Date.now();
  try {
    const client = new ImapFlow({ ...p.dovecot.connection('bare'), logger: false, disableAutoIdle: true });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        let n = 0;
        const adds: Array<Promise<unknown>> = [];
        for await (const msg of client.fetch('1:*', { uid: true, source: true }, { uid: true })) {
          if (!msg.source) continue;
          const parsed = await simpleParser(msg.source);
          adds.push(
            queue.add(
              'send',
              { source: parsed.messageId ?? `uid-${msg.uid}`, subject: parsed.subject ?? '', text: (parsed.text ?? '').slice(0, BARE_TEXT_CHARS) },
              { jobId: `b${n++}`, removeOnComplete: true },
            ),
          );
          if (adds.length >= 64) await Promise.all(adds.splice(0));
        }
        await Promise.all(adds);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
    await waitUntil(async () => p.records.length >= p.count, 600_000, 'every bare mail at the sink');
    const ended = Math.max(...p.records.map((r) => r.at));
    const latencies = p.records.map((r) => r.at - started);
    const seconds = (ended - started) / 1000;
    return {
      messages: p.count,
      mails: p.records.length,
      seconds,
      messagesPerSecond: p.count / seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      withoutMail: 0,
    };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    transport.close();
  }
}

export function parseE2eArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): E2eOptions {
  const value = (flag: string, fallback: number): number => {
    const at = argv.indexOf(flag);
    const parsed = at >= 0 ? Number(argv[at + 1]) : fallback;
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag} needs a positive number`);
    return parsed;
  };
  return {
    count: value('--count', 2000),
    seed: value('--seed', 20261118),
    rate: value('--rate', 10),
    steadySeconds: value('--steady-seconds', 30),
    redisUrl: env['BENCH_REDIS_URL'] || 'redis://127.0.0.1:6379/15',
  };
}

if (require.main === module) {
  runE2e(parseE2eArgs(process.argv.slice(2))).then(
    (result) => {
      process.stdout.write(`${JSON.stringify({ bench: 'e2e', ...result })}\n`);
      // Library handles (pools, timers) must not keep a finished bench alive.
      setTimeout(() => process.exit(0), 500).unref();
    },
    (err: unknown) => {
      process.stderr.write(`e2e bench: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(2);
    },
  );
}
