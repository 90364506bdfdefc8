import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import { createImapSource, type ImapSource, type ImapSourceOptions } from '../../src/adapters/imap-source';
import { createLogger, type Logger } from '../../src/log';
import { testImapConnection } from './dovecot';
import { RecordingSink } from './recording-sink';
import { resolveTestRedisUrl } from './test-redis-url';

/**
 * What the IMAP integration tests share: a Redis on the test DB with a key prefix of their own, a
 * logger whose lines are kept (to prove no content reaches them), and sources built for a user of
 * the test Dovecot with short timings.
 */
export interface ImapHarness {
  redis: Redis;
  keyPrefix: string;
  logger: Logger;
  logLines: string[];
  createSource(user: string, overrides?: Partial<ImapSourceOptions>, sink?: RecordingSink): { source: ImapSource; sink: RecordingSink };
  /** Stops every source created, removes the prefix's keys, closes Redis. */
  close(): Promise<void>;
}

export function createImapHarness(): ImapHarness {
  const redis = new Redis(resolveTestRedisUrl());
  const keyPrefix = `test-imap-${randomBytes(4).toString('hex')}`;
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: process.env['TEST_LOG_LEVEL'] ?? 'debug' }, destination);
  const sources: ImapSource[] = [];
  return {
    redis,
    keyPrefix,
    logger,
    logLines,
    createSource(user, overrides = {}, sink = new RecordingSink()) {
      const source = createImapSource(
        {
          connection: testImapConnection(user),
          maxMessageBytes: 1_000_000,
          pollIntervalMs: 5_000,
          leaseTtlMs: 3_000,
          reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
          keyPrefix,
          ...overrides,
        },
        { sink, redis, logger },
      );
      sources.push(source);
      return { source, sink };
    },
    async close() {
      await Promise.all(sources.map((s) => s.stop()));
      const keys = await redis.keys(`${keyPrefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    },
  };
}

export interface MailboxEntry {
  uid: number;
  flags: Set<string>;
  messageId: string | null;
}

/** The messages of a user's mailbox (null when the mailbox does not exist). */
export async function readMailbox(user: string, mailbox = 'INBOX'): Promise<MailboxEntry[] | null> {
  const client = new ImapFlow({ ...testImapConnection(user), logger: false, disableAutoIdle: true });
  await client.connect();
  try {
    const status = await client.status(mailbox, { messages: true }).catch(() => false as const);
    if (!status) return null;
    if (!status.messages) return [];
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const rows = await client.fetchAll('1:*', { uid: true, flags: true, envelope: true });
      return rows.map((r) => ({ uid: r.uid, flags: r.flags ?? new Set(), messageId: r.envelope?.messageId ?? null }));
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Polls until the predicate holds (or throws with what was seen). */
export async function eventually<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last, replacer)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await probe();
  }
  return last;
}

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Set ? [...value] : value;
}
