import { ImapFlow } from 'imapflow';
import { appendMessages, buildTestMessage, testImapConnection, uniqueUser } from '../helpers/dovecot';
import { createImapHarness, eventually, readMailbox, type ImapHarness } from '../helpers/imap-harness';
import { RecordingSink } from '../helpers/recording-sink';

jest.setTimeout(40_000);

async function withClient<T>(user: string, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ ...testImapConnection(user), logger: false, disableAutoIdle: true });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function uidValidityOf(user: string, mailbox: string): Promise<string> {
  return withClient(user, async (c) => {
    const status = await c.status(mailbox, { uidValidity: true });
    return status ? String(status.uidValidity) : '';
  });
}

/** Deletes and recreates a mailbox (a new UIDVALIDITY), then appends the given messages to it. */
async function recreateMailbox(user: string, mailbox: string, raws: Buffer[]): Promise<void> {
  await withClient(user, async (c) => {
    await c.mailboxDelete(mailbox);
    await c.mailboxCreate(mailbox);
    for (const raw of raws) await c.append(mailbox, raw);
  });
}

describe('createImapSource: checkpoint (Dovecot)', () => {
  let h: ImapHarness;
  beforeEach(() => {
    h = createImapHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('when stopped mid-way and started again after more mail arrived, then it resumes from the checkpoint with no repeat and no gap (flagging)', async () => {
    const user = uniqueUser('resume');
    const first = Array.from({ length: 30 }, (_, i) => buildTestMessage(i + 1));
    await appendMessages(user, first);
    const sink = new RecordingSink();
    sink.delayMs = 25;
    const options = { markHandled: { mode: 'flag' as const, keyword: '$Triaged' }, batchSize: 5, ingestConcurrency: 1 };
    const a = h.createSource(user, options, sink).source;
    void a.start();
    await sink.waitForCalls(8);
    await a.stop();
    const taken = sink.calls.length;
    expect(taken).toBeGreaterThanOrEqual(8);
    expect(taken).toBeLessThan(30);
    expect(taken % 5).toBe(0); // stop lets the batch in flight finish: ingested, flagged, checkpointed
    expect(a.status().lastUid).toBe(taken);

    const more = Array.from({ length: 5 }, (_, i) => buildTestMessage(31 + i));
    await appendMessages(user, more);
    sink.delayMs = 0;
    const b = h.createSource(user, options, sink).source;
    await b.start();
    await sink.waitForUnique(35);
    b.poke();
    await new Promise((r) => setTimeout(r, 300));

    expect(sink.calls).toHaveLength(35);
    expect(sink.calls.some((c) => c.duplicate)).toBe(false);
    expect(sink.calls.map((c) => c.meta.uid)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    const inbox = await readMailbox(user);
    expect(inbox!.every((m) => m.flags.has('$Triaged'))).toBe(true);
  });

  it('when restarted in move mode, then mail that arrived while it was down is taken once', async () => {
    const user = uniqueUser('resume-move');
    await appendMessages(user, [1, 2, 3].map((n) => buildTestMessage(n)));
    const sink = new RecordingSink();
    const a = h.createSource(user, {}, sink).source;
    await a.start();
    await sink.waitForUnique(3);
    await a.stop();
    await appendMessages(user, [4, 5].map((n) => buildTestMessage(n)));
    const b = h.createSource(user, {}, sink).source;
    await b.start();
    await sink.waitForUnique(5);
    expect(sink.calls).toHaveLength(5);
    expect(b.status().lastUid).toBe(5);
  });

  it('when the mailbox is recreated between runs (new UIDVALIDITY), then the whole mailbox is rescanned and the sink drops what it has', async () => {
    const user = uniqueUser('uidv');
    const mailbox = 'Apoio';
    const old = [1, 2, 3].map((n) => buildTestMessage(n));
    await appendMessages(user, old, mailbox);
    const before = await uidValidityOf(user, mailbox);
    const sink = new RecordingSink();
    const options = { mailbox, markHandled: { mode: 'flag' as const, keyword: '$Triaged' } };
    const a = h.createSource(user, options, sink).source;
    await a.start();
    await sink.waitForUnique(3);
    await a.stop();

    await recreateMailbox(user, mailbox, [...old, buildTestMessage(4), buildTestMessage(5)]);
    expect(await uidValidityOf(user, mailbox)).not.toBe(before);

    const b = h.createSource(user, options, sink).source;
    await b.start();
    await sink.waitForUnique(5);
    await eventually(() => sink.calls.length, (n) => n >= 8, 5_000, 'the rescan');
    expect(sink.calls).toHaveLength(8);
    expect(sink.calls.filter((c) => c.duplicate)).toHaveLength(3);
    expect(b.status()).toMatchObject({ uidValidity: expect.not.stringMatching(`^${before}$`), lastUid: 5 });
    expect(h.logLines.join('')).toContain('UIDVALIDITY changed');
  });

  it('when the mailbox is recreated under a running poller, then the fallback poll selects it anew, rescans and takes the new mail', async () => {
    const user = uniqueUser('uidv-live');
    const mailbox = 'Apoio';
    const old = [1, 2].map((n) => buildTestMessage(n));
    await appendMessages(user, old, mailbox);
    // Dovecot says nothing to a session whose mailbox was recreated: the fallback poll finds out.
    const options = { mailbox, markHandled: { mode: 'flag' as const, keyword: '$Triaged' }, pollIntervalMs: 1_000 };
    const { source, sink } = h.createSource(user, options);
    await source.start();
    await sink.waitForUnique(2);
    await eventually(() => source.status().lastUid, (n) => n === 2, 5_000, 'the batch handled');
    const before = source.status().uidValidity;

    await recreateMailbox(user, mailbox, [old[0]!, buildTestMessage(3), buildTestMessage(4)]);
    await sink.waitForUnique(4, 15_000);
    await eventually(() => sink.calls.length, (n) => n >= 5, 5_000, 'the rescan');
    expect(source.status().uidValidity).not.toBe(before);
    expect(sink.calls.filter((c) => c.duplicate)).toHaveLength(1);
    expect(sink.unique).toBe(4);
  });
});
