import { benchImapFetch, generateBenchMessage } from '../../src/bench/imap-fetch';
import { testImapConnection, uniqueUser } from '../helpers/dovecot';

jest.setTimeout(30_000);

describe('benchImapFetch', () => {
  it('when given a count, then it appends that many messages and times one fetch over exactly them', async () => {
    const user = uniqueUser('bench');
    const result = await benchImapFetch({ connection: testImapConnection(user), count: 200, messageBytes: 2_000 });
    expect(result.messages).toBe(200);
    expect(result.bytes).toBeGreaterThanOrEqual(200 * 2_000);
    expect(result.appendMs).toBeGreaterThan(0);
    expect(result.fetchMs).toBeGreaterThan(0);
    expect(result.messagesPerSecond).toBeGreaterThan(100);
    if (process.env['TEST_VERBOSE']) console.log(result);
  });

  it('when given messages and onMessage, then each raw message is handed over inside the timed section', async () => {
    const user = uniqueUser('bench-cb');
    const messages = [1, 2, 3].map((n) => generateBenchMessage(n, 500));
    const seen: Buffer[] = [];
    const result = await benchImapFetch({
      connection: testImapConnection(user),
      mailbox: 'Bench',
      messages,
      onMessage: async (raw) => {
        seen.push(raw);
      },
    });
    expect(result.messages).toBe(3);
    expect(seen.map((b) => b.toString())).toEqual(messages.map((b) => b.toString()));
  });

  it('when nothing is to be appended, then it fetches what the mailbox already holds', async () => {
    const user = uniqueUser('bench-existing');
    await benchImapFetch({ connection: testImapConnection(user), count: 5 });
    const again = await benchImapFetch({ connection: testImapConnection(user) });
    expect(again).toMatchObject({ messages: 5, appendMs: null });
  });
});
