import { appendMessages, buildTestMessage, DOVECOT_TEST_PASSWORD, uniqueUser } from '../helpers/dovecot';
import { createImapHarness, eventually, readMailbox, type ImapHarness } from '../helpers/imap-harness';
import { findMessageId } from '../helpers/recording-sink';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
jest.setTimeout(30_000);

describe('createImapSource: ingest and mark handled (Dovecot)', () => {
  let h: ImapHarness;
  beforeEach(() => {
    h = createImapHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('when messages wait in the inbox, then each is ingested exactly once, moved to Triaged (created) and the checkpoint advances', async () => {
    const user = uniqueUser('ingest');
    const raws = [1, 2, 3, 4, 5].map((n) => buildTestMessage(n));
    const uids = await appendMessages(user, raws);
    const { source, sink } = h.createSource(user);
    await source.start();
    await sink.waitForUnique(5);
    await eventually(() => readMailbox(user, 'INBOX'), (m) => m !== null && m.length === 0, 5_000, 'an empty INBOX');
    source.poke();
    await sleep(300);

    expect(sink.calls).toHaveLength(5);
    expect(sink.calls.every((c) => !c.duplicate)).toBe(true);
    expect(sink.calls.map((c) => c.raw.equals(raws[uids.indexOf(c.meta.uid!)]!))).toEqual([true, true, true, true, true]);
    const status = source.status();
    expect(sink.calls[0]!.meta).toMatchObject({ source: 'imap:INBOX', uidValidity: status.uidValidity });
    expect(sink.calls[0]!.meta.receivedAt).toBeInstanceOf(Date);
    const triaged = await readMailbox(user, 'Triaged');
    expect(triaged!.map((m) => m.messageId).sort()).toEqual(raws.map((r) => findMessageId(r)).sort());
    expect(status).toMatchObject({ role: 'active', connected: true, lastUid: 5, ingested: 5, duplicates: 0, lastError: null });
    expect(status.lastPollAt).toBeInstanceOf(Date);
    const checkpoint = await h.redis.hgetall(`${h.keyPrefix}:imap:checkpoint:${user}@127.0.0.1:${process.env['TEST_IMAP_PORT']}/INBOX`);
    expect(checkpoint).toMatchObject({ uidValidity: status.uidValidity, lastUid: '5' });

    await source.stop();
    expect(source.status()).toMatchObject({ role: 'stopped', connected: false });
  });

  it('when configured to flag, then handled messages stay with \\Seen and the keyword, and later polls never take them again', async () => {
    const user = uniqueUser('flag');
    await appendMessages(user, [1, 2, 3].map((n) => buildTestMessage(n)));
    const { source, sink } = h.createSource(user, { markHandled: { mode: 'flag', keyword: '$Triaged' } });
    await source.start();
    await sink.waitForUnique(3);
    await appendMessages(user, [4, 5].map((n) => buildTestMessage(n)));
    await sink.waitForUnique(5);
    // `UID FETCH 6:*` answers with UID 5 again: it must not be taken twice.
    for (let i = 0; i < 3; i++) {
      source.poke();
      await sleep(150);
    }
    expect(sink.calls).toHaveLength(5);
    const inbox = await eventually(
      () => readMailbox(user, 'INBOX'),
      (m) => m !== null && m.every((e) => e.flags.has('$Triaged')),
      5_000,
      'every message flagged',
    );
    expect(inbox!.map((m) => m.uid)).toEqual([1, 2, 3, 4, 5]);
    expect(inbox!.every((m) => m.flags.has('\\Seen'))).toBe(true);
    expect(await readMailbox(user, 'Triaged')).toBeNull();
  });

  it('when a message is over maxMessageBytes, then a placeholder with its headers, size and UID is ingested and the original is kept', async () => {
    const user = uniqueUser('big');
    const big = buildTestMessage(1, { bodyBytes: 20_000 });
    const small = buildTestMessage(2);
    await appendMessages(user, [big, small]);
    const { source, sink } = h.createSource(user, { maxMessageBytes: 5_000 });
    await source.start();
    await sink.waitForUnique(2);

    const placeholder = sink.calls.find((c) => c.meta.uid === 1)!;
    const text = placeholder.raw.toString('utf8');
    expect(placeholder.raw.length).toBeLessThan(2_000);
    expect(placeholder.messageId).toBe(findMessageId(big));
    expect(text).toMatch(new RegExp(`^X-Triage-Oversized: size=${big.length}; limit=5000; mailbox="INBOX"; uidvalidity=\\d+; uid=1\\r$`, 'm'));
    expect(text).toContain('From: Cliente <cliente@example.com>');
    expect(sink.calls.find((c) => c.meta.uid === 2)!.raw.equals(small)).toBe(true);
    expect(source.status().oversized).toBe(1);
    const triaged = await eventually(() => readMailbox(user, 'Triaged'), (m) => (m?.length ?? 0) === 2, 5_000, 'both moved');
    expect(triaged!.map((m) => m.messageId).sort()).toEqual([findMessageId(big), findMessageId(small)].sort());
  });

  it('when oversized is "full", then the whole message is ingested anyway', async () => {
    const user = uniqueUser('bigfull');
    const big = buildTestMessage(1, { bodyBytes: 20_000 });
    await appendMessages(user, [big]);
    const { source, sink } = h.createSource(user, { maxMessageBytes: 5_000, oversized: 'full' });
    await source.start();
    await sink.waitForUnique(1);
    expect(sink.calls[0]!.raw.equals(big)).toBe(true);
    expect(source.status().oversized).toBe(1);
  });

  it('when the sink fails for a while, then nothing is marked before it is stored and every message still gets through once stored', async () => {
    const user = uniqueUser('sinkfail');
    await appendMessages(user, [1, 2, 3].map((n) => buildTestMessage(n)));
    const { source, sink } = h.createSource(user, { ingestConcurrency: 1 });
    sink.failTimes = 4;
    await source.start();
    expect(source.status().lastError).toContain('sink unavailable');
    await sink.waitForUnique(3, 15_000);
    const triaged = await eventually(() => readMailbox(user, 'Triaged'), (m) => (m?.length ?? 0) === 3, 5_000, 'all moved');
    expect(triaged).toHaveLength(3);
    expect(await readMailbox(user, 'INBOX')).toEqual([]);
    // Stored ones may be offered again after a failed round; the sink keeps one of each.
    expect(sink.unique).toBe(3);
  });

  it('when running, then no log line carries message content or the password', async () => {
    const user = uniqueUser('logs');
    await appendMessages(user, [buildTestMessage(1, { tag: 'segredo' }), buildTestMessage(2, { bodyBytes: 9_000 })]);
    const { source, sink } = h.createSource(user, { maxMessageBytes: 5_000 });
    await source.start();
    await sink.waitForUnique(2);
    await source.stop();
    const logs = h.logLines.join('');
    expect(logs).toContain('batch handled');
    expect(logs).not.toContain('Mensagem de teste');
    expect(logs).not.toContain('Teste 1');
    expect(logs).not.toContain('xxxxxxxx');
    expect(logs).not.toContain(DOVECOT_TEST_PASSWORD);
    expect(logs).not.toContain('cliente@example.com');
  });
});
