import { appendMessages, buildTestMessage, uniqueUser } from '../helpers/dovecot';
import { createImapHarness, eventually, readMailbox, type ImapHarness } from '../helpers/imap-harness';
import { RecordingSink } from '../helpers/recording-sink';

jest.setTimeout(40_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createImapSource: one active poller per mailbox (Dovecot + Redis lease)', () => {
  let h: ImapHarness;
  beforeEach(() => {
    h = createImapHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('when two pollers watch the same mailbox, then only one polls, nothing is taken twice, and the other takes over when it stops', async () => {
    const user = uniqueUser('pair');
    const sink = new RecordingSink();
    const options = { leaseTtlMs: 2_000, standbyRetryMs: 200 };
    const a = h.createSource(user, { ...options, owner: 'replica-a' }, sink).source;
    const b = h.createSource(user, { ...options, owner: 'replica-b' }, sink).source;
    await Promise.all([a.start(), b.start()]);
    const roles = [a.status().role, b.status().role].sort();
    expect(roles).toEqual(['active', 'standby']);
    const [active, standby] = a.status().role === 'active' ? [a, b] : [b, a];
    expect(standby.status().connected).toBe(false);

    await appendMessages(user, Array.from({ length: 20 }, (_, i) => buildTestMessage(i + 1)));
    await sink.waitForUnique(20);
    await sleep(300);
    expect(sink.calls).toHaveLength(20);
    expect(standby.status().ingested).toBe(0);

    await active.stop();
    await appendMessages(user, Array.from({ length: 5 }, (_, i) => buildTestMessage(21 + i)));
    await sink.waitForUnique(25, 10_000);
    await sleep(300);
    expect(sink.calls).toHaveLength(25);
    expect(standby.status()).toMatchObject({ role: 'active', ingested: 5 });
    expect(await readMailbox(user)).toEqual([]);
  });

  it('when the lease is taken away, then the poller stops fetching until it can take it back, and nothing is lost or doubled', async () => {
    const user = uniqueUser('stolen');
    const { source, sink } = h.createSource(user, { leaseTtlMs: 1_500, standbyRetryMs: 200 });
    await source.start();
    await appendMessages(user, [1, 2].map((n) => buildTestMessage(n)));
    await sink.waitForUnique(2);
    await eventually(() => source.status().lastUid, (n) => n === 2, 5_000, 'the batch handled');

    const leaseKey = `${h.keyPrefix}:imap:lease:${user}@127.0.0.1:${process.env['TEST_IMAP_PORT']}/INBOX`;
    await h.redis.set(leaseKey, 'another-replica', 'PX', 2_500);
    await eventually(() => source.status().role, (r) => r === 'standby', 3_000, 'standby after losing the lease');
    expect(source.status().connected).toBe(false);

    await appendMessages(user, [3, 4].map((n) => buildTestMessage(n)));
    await sleep(500);
    expect(sink.unique).toBe(2); // not ours to poll while the other holds the lease

    await sink.waitForUnique(4, 10_000); // the key expires, the lease comes back
    expect(source.status().role).toBe('active');
    expect(sink.calls).toHaveLength(4);
  });
});
