import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAMES } from '../../src/adapters/queues';
import { createSendJournal, type InDoubtOutcome } from '../../src/adapters/send-journal';
import { findFreePort } from '../../src/dev/dovecot';
import { hashToken } from '../../src/http/passwords';
import { INBOX, OMBUDSMAN, SECRET } from './pipeline';
import { resolveTestRedisUrl } from './test-redis-url';

/**
 * The service as operators run it: `node dist/cli/main.js start [--role …]` in a child process,
 * configured only through its environment, on the test Redis (DB 15) under a unique prefix. For
 * the tests that kill it (SIGKILL) or run several of it side by side. Needs a build (`npm run
 * build`; `npm test` builds first).
 */

export const CLI = path.resolve(__dirname, '../../dist/cli/main.js');

/** Fails early with a clear message when dist/ is missing or older than a source file it needs. */
export function assertBuilt(sources: string[] = ['src/workers/router.ts', 'src/adapters/send-journal.ts', 'src/main.ts']): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const root = path.resolve(__dirname, '../..');
  for (const source of sources) {
    const built = path.join(root, 'dist', source.replace(/^src\//, '').replace(/\.ts$/, '.js'));
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
  }
}

/** The environment every process of one test shares (same Redis prefix, same inbox, same SMTP sink). */
export async function serviceEnv(options: { imapUrl: string; smtpUrl: string; extra?: Record<string, string> }): Promise<Record<string, string>> {
  const token = randomBytes(16).toString('hex');
  return {
    REDIS_URL: resolveTestRedisUrl(),
    TRIAGE_REDIS_PREFIX: `tp${randomBytes(6).toString('hex')}`,
    IMAP_URL: options.imapUrl,
    SMTP_URL: options.smtpUrl,
    TRIAGE_INBOX_ADDRESS: INBOX,
    TRIAGE_SECRET: SECRET,
    TRIAGE_OMBUDSMAN_ADDRESS: OMBUDSMAN,
    // The web role of `all` (a random token; nobody logs in).
    TRIAGE_WEB_TOKENS: `probe:${hashToken(token)}`,
    TRIAGE_WEB_SESSION_SECRET: randomBytes(24).toString('hex'),
    TRIAGE_WEB_HOST: '127.0.0.1',
    TRIAGE_WEB_COOKIE_SECURE: 'false',
    LOG_LEVEL: 'info',
    ...options.extra,
  };
}

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Resolves when the process has exited (at once if it has). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Its log so far (stdout and stderr of this run only). */
  log(): string;
  /** Resolves once it logged that it started (its signal handlers are in place then). */
  started(timeoutMs?: number): Promise<void>;
}

/** Starts one `triage start` process; its output goes to `logFile` (appended across restarts). */
export async function startServiceProcess(options: { name: string; env: Record<string, string>; role?: string; logFile: string }): Promise<ServiceProcess> {
  const port = await findFreePort();
  const offset = existsSync(options.logFile) ? statSync(options.logFile).size : 0;
  const fd = openSync(options.logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [CLI, 'start', ...(options.role ? ['--role', options.role] : [])], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', PORT: String(port), ...options.env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  // A test that fails half-way must not leave services running.
  const reap = (): void => {
    if (exit === null) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  void exited.then(() => process.removeListener('exit', reap));
  const log = (): string => (existsSync(options.logFile) ? readFileSync(options.logFile).subarray(offset).toString('utf8') : '');
  return {
    name: options.name,
    pid: child.pid,
    get running() {
      return exit === null;
    },
    exited: () => exited,
    kill: (signal) => {
      if (exit === null) child.kill(signal);
    },
    async stop(graceMs = 15_000) {
      if (exit !== null) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    log,
    async started(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!log().includes('"msg":"started"')) {
        if (exit !== null) throw new Error(`${options.name} exited before it started (${JSON.stringify(exit)}):\n${log().slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`${options.name} did not start within ${timeoutMs} ms:\n${log().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/** The queues and markers of a prefix, read from the test process. */
export interface PrefixProbe {
  /** Jobs waiting, active, delayed… in both queues. */
  busy(): Promise<number>;
  failed(): Promise<number>;
  failedReasons(): Promise<string[]>;
  inDoubt(): Promise<Record<string, InDoubtOutcome>>;
  redis: Redis;
  /** Obliterates the queues and deletes every key of the prefix. */
  cleanup(): Promise<void>;
}

export function probePrefix(prefix: string): PrefixProbe {
  const redisUrl = resolveTestRedisUrl();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const connection = { url: redisUrl, maxRetriesPerRequest: null } as never;
  const queues = [new Queue(QUEUE_NAMES.classify, { connection, prefix }), new Queue(QUEUE_NAMES.send, { connection, prefix })];
  const journal = createSendJournal(redis, prefix);
  return {
    redis,
    async busy() {
      let total = 0;
      for (const queue of queues) {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        total += Object.values(counts).reduce((a, b) => a + b, 0);
      }
      return total;
    },
    async failed() {
      let total = 0;
      for (const queue of queues) total += await queue.getFailedCount();
      return total;
    },
    async failedReasons() {
      const out: string[] = [];
      for (const queue of queues) for (const job of await queue.getFailed()) out.push(`${queue.name} ${job.id}: ${job.failedReason}`);
      return out;
    },
    inDoubt: () => journal.inDoubt(),
    async cleanup() {
      for (const queue of queues) {
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close().catch(() => undefined);
      }
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}
