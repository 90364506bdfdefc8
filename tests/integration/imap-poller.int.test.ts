import net from 'node:net';
import { Redis } from 'ioredis';
import { createPoller } from '../../src/workers/poller';
import { createLogger } from '../../src/log';
import { appendMessages, buildTestMessage, findFreePort, testImapUrl, uniqueUser } from '../helpers/dovecot';
import { createImapHarness, readMailbox, type ImapHarness } from '../helpers/imap-harness';
import { RecordingSink } from '../helpers/recording-sink';
import { resolveTestRedisUrl } from '../helpers/test-redis-url';

jest.setTimeout(30_000);

describe('createPoller', () => {
  let redis: Redis;
  const keyPrefix = `test-poller-${process.pid}`;
  beforeAll(() => {
    redis = new Redis(resolveTestRedisUrl());
  });
  afterAll(async () => {
    const keys = await redis.keys(`${keyPrefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('when given IMAP_URL and a mark setting, then it polls that mailbox and marks as told', async () => {
    const user = uniqueUser('poller');
    await appendMessages(user, [buildTestMessage(1), buildTestMessage(2)], 'Apoio');
    const sink = new RecordingSink();
    const poller = createPoller(
      { imapUrl: testImapUrl(user, 'Apoio'), markHandled: 'move:Tratados', maxMessageBytes: 1_000_000, keyPrefix },
      { sink, redis, logger: createLogger({ level: 'silent' }) },
    );
    await poller.start();
    await sink.waitForUnique(2);
    await poller.stop();
    expect(sink.calls.map((c) => c.meta.source)).toEqual(['imap:Apoio', 'imap:Apoio']);
    expect(await readMailbox(user, 'Apoio')).toEqual([]);
    expect(await readMailbox(user, 'Tratados')).toHaveLength(2);
    expect(poller.status()).toMatchObject({ role: 'stopped', mailbox: 'Apoio', ingested: 2 });
    expect(poller.status().endpoint).not.toContain('triage-test');
  });
});

describe('createImapSource lifecycle', () => {
  let h: ImapHarness;
  beforeEach(() => {
    h = createImapHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('when the server is unreachable, then start() still resolves and the source keeps retrying', async () => {
    const port = await findFreePort();
    const user = uniqueUser('down');
    const { source } = h.createSource(user, {
      connection: { host: '127.0.0.1', port, secure: false, auth: { user, pass: 'x' }, doSTARTTLS: false },
    });
    const started = Date.now();
    await source.start();
    expect(Date.now() - started).toBeLessThan(3_000);
    const status = source.status();
    expect(status.connected).toBe(false);
    expect(status.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(['connecting', 'backoff']).toContain(status.role);
    await source.stop();
    expect(source.status().role).toBe('stopped');
  });

  it('when stopped while the server never answers, then stop() returns promptly', async () => {
    const silent = net.createServer(() => undefined); // accepts, never greets
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const user = uniqueUser('silent');
      const { source } = h.createSource(user, {
        connection: { host: '127.0.0.1', port, secure: false, auth: { user, pass: 'x' }, doSTARTTLS: false },
        startWaitMs: 300,
      });
      await source.start();
      expect(source.status().role).toBe('connecting');
      const stopping = Date.now();
      await source.stop();
      expect(Date.now() - stopping).toBeLessThan(1_000);
      expect(source.status().role).toBe('stopped');
    } finally {
      silent.close();
    }
  });

  it('when stop() is called mid-batch, then the batch in flight finishes (ingested, marked, checkpointed) before it resolves', async () => {
    const user = uniqueUser('midbatch');
    await appendMessages(user, Array.from({ length: 6 }, (_, i) => buildTestMessage(i + 1)));
    const sink = new RecordingSink();
    sink.delayMs = 100;
    const { source } = h.createSource(user, { batchSize: 3, ingestConcurrency: 1 }, sink);
    void source.start();
    await sink.waitForCalls(1);
    await source.stop();
    expect(sink.calls).toHaveLength(3);
    expect(source.status().lastUid).toBe(3);
    expect((await readMailbox(user, 'Triaged'))?.length).toBe(3);
    expect((await readMailbox(user, 'INBOX'))?.length).toBe(3);
  });
});
