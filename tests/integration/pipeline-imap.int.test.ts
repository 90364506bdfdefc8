import { appendMessages, testImapUrl, uniqueUser } from '../helpers/dovecot';
import { eventually, readMailbox } from '../helpers/imap-harness';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { testMail } from '../helpers/scripted-decide';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';

jest.setTimeout(30_000);

let sink: SmtpSink;
let pipeline: Pipeline | null = null;

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await pipeline?.stop();
  await sink.close();
});

describe('triage start, all roles in one process, on the test Dovecot', () => {
  it('polls the inbox, decides, sends, and marks each message handled', async () => {
    const user = uniqueUser('pipeline');
    await appendMessages(user, [
      testMail({ id: '<imap1@cliente.pt>', headers: { 'X-Test-Categories': 'invoice', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' } }),
      testMail({ id: '<imap2@cliente.pt>', from: 'Eva <eva@cliente.pt>', headers: { 'X-Test-Categories': 'documents', 'X-Test-Nome': 'Eva Lopes' } }),
    ]);
    pipeline = await startPipeline({
      sink,
      role: 'all',
      env: { IMAP_URL: testImapUrl(user), IMAP_POLL_SECONDS: '1' },
    });
    await sink.waitFor((m) => m.length >= 3, 20_000);
    await pipeline.waitForIdle();
    expect(sink.deliveredTo('rute.joao.externo@ageas.pt')).toHaveLength(1);
    expect(sink.deliveredTo('ana@cliente.pt')).toHaveLength(1);
    expect(sink.deliveredTo('eva@cliente.pt')).toHaveLength(1);
    expect(sink.messages).toHaveLength(3);
    await eventually(() => readMailbox(user), (inbox) => inbox !== null && inbox.length === 0, 10_000, 'an empty INBOX');
    const handled = await readMailbox(user, 'Triaged');
    expect(handled?.map((m) => m.messageId).sort()).toEqual(['<imap1@cliente.pt>', '<imap2@cliente.pt>']);
  });
});
