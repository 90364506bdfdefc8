import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { createFileSender } from './adapters/file-sender';
import { createFolderSource, type FolderSource } from './adapters/folder-source';
import { pingRedis } from './adapters/redis';
import type { OutgoingMail } from './core/compose';
import { loadConfig, processEnv } from './config/env';
import { ConfigError } from './errors';
import { createLogger } from './log';
import { hashPassword } from './http/passwords';
import { startApp, type App, type AppOptions } from './main';
import { loadWebStarter } from './web-role';

/**
 * `npm run demo [-- INBOX_DIR] [--out DIR] [--once]`: the real pipeline with no mail server. The
 * inbox is a folder of .eml files (demo/inbox by default), outgoing mail is written as .eml
 * files, Redis is REDIS_URL or 127.0.0.1:6379, or a private redis-server started for the run when
 * none answers. It prints each message's outcome, then keeps the web console up until Ctrl-C;
 * with `--once` (or CI=true) it ends there, without the web console. Everything the demo writes
 * to Redis is under its own prefix and removed at the end.
 */

const PROJECT_ROOT = resolve(__dirname, '..');

interface Args {
  inbox: string;
  out: string;
  /** End after printing the outcomes (no web console): for scripts and CI. */
  once: boolean;
}

function parseArgs(argv: string[], env: Readonly<Record<string, string | undefined>>): Args {
  let inbox = join(PROJECT_ROOT, 'demo', 'inbox');
  let out = join(PROJECT_ROOT, 'demo', 'outbox', `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  let once = /^(1|true|yes)$/i.test(env['CI'] ?? '');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--out') out = resolve(argv[++i] ?? out);
    else if (arg === '--once') once = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run demo [-- INBOX_DIR] [--out OUTBOX_DIR] [--once]\n' +
          '  prints what happened to each message, then keeps the web console up until Ctrl-C;\n' +
          '  --once (or CI=true) ends after the outcomes, without the web console\n',
      );
      process.exit(0);
    } else inbox = resolve(arg);
  }
  return { inbox, out, once };
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => res(port));
    });
  });
}

/** A throwaway redis-server: random port, no persistence, stopped with the demo. */
async function startPrivateRedis(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (await pingRedis(url, 300)) return { url, process: child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error('the private redis-server did not answer');
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function waitForIdle(app: App, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (quiet < 3) {
    let busy = 0;
    for (const queue of [app.queues.classify, app.queues.send]) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      busy += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    quiet = busy === 0 ? quiet + 1 : 0;
    if (Date.now() > deadline) throw new Error(`still ${busy} jobs in the queues after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runDemo(argv: string[]): Promise<number> {
  const env = processEnv();
  const args = parseArgs(argv, env);
  if (!existsSync(args.inbox)) {
    process.stderr.write(`demo: no such folder: ${args.inbox}\n`);
    return 2;
  }
  let redisUrl = env['REDIS_URL'] || 'redis://127.0.0.1:6379';
  let privateRedis: ChildProcess | null = null;
  if (!(await pingRedis(redisUrl))) {
    if (!hasRedisServer()) {
      process.stderr.write(`demo: no Redis answers at ${redisUrl.replace(/\/\/[^@/]*@/, '//***@')} and redis-server is not installed.\n` +
        '      Start one (e.g. `redis-server` or `docker compose up -d redis`) or set REDIS_URL.\n');
      return 1;
    }
    const started = await startPrivateRedis();
    redisUrl = started.url;
    privateRedis = started.process;
    // Whatever happens to the demo, its private Redis does not outlive it.
    process.once('exit', () => started.process.kill('SIGTERM'));
    process.stdout.write(`Redis: none answered, started a private redis-server at ${redisUrl} (no persistence)\n`);
  } else {
    process.stdout.write(`Redis: ${redisUrl.replace(/\/\/[^@/]*@/, '//***@')}\n`);
  }

  const prefix = `triage-demo-${randomBytes(4).toString('hex')}`;
  let config;
  try {
    config = loadConfig(
      {
        ...env,
        REDIS_URL: redisUrl,
        TRIAGE_INBOX_ADDRESS: env['TRIAGE_INBOX_ADDRESS'] || 'apoio@medico-online.example',
        TRIAGE_SECRET: env['TRIAGE_SECRET'] || randomBytes(32).toString('hex'),
        TRIAGE_OMBUDSMAN_ADDRESS: env['TRIAGE_OMBUDSMAN_ADDRESS'] || 'provedor@medico-online.example',
        TRIAGE_REDIS_PREFIX: prefix,
        // One at a time, so a reply in the folder is classified after the message it answers.
        CLASSIFY_CONCURRENCY: '1',
        LOG_LEVEL: env['LOG_LEVEL'] || 'warn',
      },
      { role: 'all', needs: { imap: false, smtp: false } },
    );
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`demo: ${err.message}\n`);
    else process.stderr.write(`demo: ${(err as Error).message}\n`);
    privateRedis?.kill('SIGTERM');
    return 1;
  }

  const written = new Map<string, Array<{ mail: OutgoingMail; path: string }>>();
  const sender = createFileSender({
    dir: args.out,
    onWritten: (mail, path) => {
      const list = written.get(mail.sourceHash) ?? [];
      list.push({ mail, path });
      written.set(mail.sourceHash, list);
    },
  });
  const files: Array<{ name: string; hash: string; duplicate: boolean }> = [];
  let source: FolderSource | null = null;
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  // The web console with a throwaway login unless one is configured; the demo goes on without it
  // when it cannot start (a port in use, say).
  const webEnv: Record<string, string | undefined> = { ...env, PORT: String(config.port) };
  let demoPassword: string | null = null;
  if (!args.once && !env['TRIAGE_WEB_USERS'] && !env['TRIAGE_WEB_USERS_FILE'] && !env['TRIAGE_WEB_TOKENS']) {
    demoPassword = randomBytes(9).toString('base64url');
    webEnv['TRIAGE_WEB_USERS'] = `demo:${await hashPassword(demoPassword)}`;
  }
  webEnv['TRIAGE_WEB_SESSION_SECRET'] ||= randomBytes(32).toString('hex');
  webEnv['TRIAGE_WEB_COOKIE_SECURE'] ||= 'false';
  webEnv['TRIAGE_WEB_HOST'] ||= '127.0.0.1';
  let webUp = false;
  let startWeb: AppOptions['startWeb'];
  try {
    // --once: no console to keep up, so none is started (the role still has its stand-in).
    if (args.once) throw new Error('--once');
    const starter = loadWebStarter(webEnv);
    startWeb = async (ctx) => {
      try {
        const handle = await starter(ctx);
        webUp = true;
        return handle;
      } catch (err) {
        process.stdout.write(`Web console not started: ${(err as Error).message}\n`);
        return { close: async () => undefined };
      }
    };
  } catch (err) {
    if (args.once) startWeb = async () => ({ close: async () => undefined });
    else process.stdout.write(`Web console not started: ${(err as Error).message}\n`);
  }

  let app: App | null = null;
  const cleanup = async (): Promise<void> => {
    try {
      await app?.stop();
    } finally {
      await deleteKeys(redisUrl, prefix).catch(() => undefined);
      privateRedis?.kill('SIGTERM');
    }
  };

  try {
    app = await startApp({
      config,
      logger,
      sender,
      source: (sink, ctx) => {
        source = createFolderSource({
          dir: args.inbox,
          sink,
          logger: ctx.logger,
          onIngested: (name, receipt) => files.push({ name, hash: receipt.jobId.slice(1), duplicate: receipt.duplicate }),
        });
        return source;
      },
      ...(startWeb ? { startWeb } : {}),
      // The demo does not wait for retries: a failed write is reported, not retried for an hour.
      retry: { classify: { attempts: 2, delayMs: 200 }, send: { attempts: 2, delayMs: 200 } },
      holdSweepMs: 0,
    });
    process.stdout.write(`Inbox: ${relative(process.cwd(), args.inbox) || '.'}\nOutbox: ${relative(process.cwd(), args.out)}\n\n`);
    await (source as FolderSource | null)?.firstScan;
    await waitForIdle(app);

    for (const file of files) {
      const record = await app.store.getMessage(file.hash);
      const stored = record?.caseId ? await app.store.getCase(record.caseId) : null;
      const head = `${file.name.padEnd(28)} ${(record?.outcome ?? 'not processed').padEnd(10)} ${stored?.record.reference ?? ''}`;
      process.stdout.write(`${head}${record?.reason ? `  (${record.reason})` : ''}\n`);
      for (const { mail, path } of written.get(file.hash) ?? []) {
        const to = [...mail.to, ...mail.cc.map((c) => `cc ${c}`)].join(', ');
        process.stdout.write(`    ${mail.kind.padEnd(17)} → ${to}   ${relative(process.cwd(), path)}\n`);
      }
    }
    const failed = await app.queues.send.getFailedCount();
    if (failed > 0) process.stdout.write(`\n${failed} mail(s) could not be written; see the failed jobs.\n`);

    if (webUp) {
      const login = demoPassword ? ` (user demo, password ${demoPassword})` : '';
      process.stdout.write(`\nWeb console: http://${webEnv['TRIAGE_WEB_HOST']}:${config.port}/${login}. Ctrl-C to stop.\n`);
      await new Promise<void>((res) => {
        process.once('SIGINT', () => res());
        process.once('SIGTERM', () => res());
      });
    } else if (args.once) {
      process.stdout.write('\n(--once: the demo ends here. Without it, the web console stays up until Ctrl-C.)\n');
    } else {
      process.stdout.write('\n(No web console; the demo ends here.)\n');
    }
    return 0;
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await cleanup();
  }
}

if (require.main === module) {
  runDemo(process.argv.slice(2)).then(
    (code) => {
      // Library handles (pools, timers) must not keep a finished demo alive.
      setTimeout(() => process.exit(code), 500).unref();
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`demo: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
