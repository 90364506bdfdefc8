import { ImapFlow } from 'imapflow';
import { buildTestMessage, testImapConnection, uniqueUser } from '../helpers/dovecot';
import { createImapHarness, type ImapHarness } from '../helpers/imap-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
jest.setTimeout(30_000);

describe('createImapSource: IDLE (Dovecot)', () => {
  let h: ImapHarness;
  let appender: ImapFlow;
  beforeEach(() => {
    h = createImapHarness();
  });
  afterEach(async () => {
    await appender?.logout().catch(() => appender.close());
    await h.close();
  });

  it('when mail arrives while idling, then it is ingested within about a second, without waiting for the poll', async () => {
    const user = uniqueUser('idle');
    // The fallback poll is far away: only IDLE can explain a fast pick-up.
    const { source, sink } = h.createSource(user, { pollIntervalMs: 120_000 });
    await source.start();
    expect(source.status()).toMatchObject({ role: 'active', connected: true });
    appender = new ImapFlow({ ...testImapConnection(user), logger: false, disableAutoIdle: true });
    await appender.connect();
    await sleep(200);

    const latencies: number[] = [];
    for (let n = 1; n <= 8; n++) {
      const sentAt = Date.now();
      await appender.append('INBOX', buildTestMessage(n));
      await sink.waitForUnique(n, 5_000);
      latencies.push(sink.calls[sink.calls.length - 1]!.at - sentAt);
      await sleep(n % 3 === 0 ? 400 : 50);
    }
    latencies.sort((a, b) => a - b);
    if (process.env['TEST_VERBOSE']) console.log('latencies', latencies);
    const max = latencies[latencies.length - 1]!;
    expect(max).toBeLessThan(2_000);
    expect(sink.calls).toHaveLength(8);
  });

  it('when mail arrives steadily at 10 messages/s, then every one is taken once and p99 append-to-ingest stays under 2 s', async () => {
    const user = uniqueUser('steady');
    const { source, sink } = h.createSource(user, { pollIntervalMs: 120_000 });
    await source.start();
    appender = new ImapFlow({ ...testImapConnection(user), logger: false, disableAutoIdle: true });
    await appender.connect();

    const sentAt = new Map<number, number>();
    const started = Date.now();
    for (let n = 1; n <= 40; n++) {
      const due = started + (n - 1) * 100;
      if (Date.now() < due) await sleep(due - Date.now());
      sentAt.set(n, Date.now());
      await appender.append('INBOX', buildTestMessage(n, { messageId: `<steady.${n}.${user}@test.example>` }));
    }
    await sink.waitForUnique(40, 10_000);
    const latencies = sink.calls.map((c) => {
      const n = Number(/<steady\.(\d+)\./.exec(c.messageId ?? '')?.[1]);
      return c.at - sentAt.get(n)!;
    });
    latencies.sort((a, b) => a - b);
    if (process.env['TEST_VERBOSE']) console.log('latencies', latencies);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
    expect(p99).toBeLessThan(2_000);
    expect(sink.calls).toHaveLength(40);
  });
});
