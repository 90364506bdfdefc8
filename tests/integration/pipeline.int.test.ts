import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFolderSource } from '../../src/adapters/folder-source';
import { sendJobId } from '../../src/adapters/queues';
import { createLogger } from '../../src/log';
import { INBOX, OMBUDSMAN, startPipeline, type Pipeline } from '../helpers/pipeline';
import { testMail } from '../helpers/scripted-decide';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink';

jest.setTimeout(30_000);

const INVOICE_TO = 'rute.joao.externo@ageas.pt';
const INVOICE_CC = 'clinicadigital@saude360.medis.pt';
const MEDIS = 'medico.online@medis.pt';
const CLINICAL = 'areaclinica@saude360.medis.pt';
const DISCLAIMER_START = 'Para informações adicionais relacionadas com o seguro de saúde Médis';

// A relayed answer carries none of our X-Triage-* headers: its Message-ID step says what it is.
const kindOf = (m: SinkMessage): string =>
  m.header('auto-submitted') === 'auto-generated'
    ? 'forward'
    : (m.header('x-triage-kind') ?? (/\.relay-[0-9a-f]+\./.test(m.parsed.messageId ?? '') ? 'relay' : 'unknown'));
const summary = (messages: SinkMessage[]) =>
  messages.map((m) => `${kindOf(m)} → ${[...m.recipients].sort().join(',')}`).sort();

let sink: SmtpSink;
let pipeline: Pipeline | null = null;

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
});
beforeEach(() => sink.clear());
afterEach(async () => {
  await pipeline?.stop();
  pipeline = null;
});

const ingest = (raw: Buffer) => pipeline!.app.ingest.ingest(raw, { source: 'test', receivedAt: new Date() });

describe('the pipeline on real Redis and SMTP', () => {
  it('runs a folder of messages through: each mail exactly once, to the right place', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'triage-inbox-'));
    try {
      const mails: Record<string, Buffer> = {
        '01-invoice.eml': testMail({ id: '<inv@cliente.pt>', headers: { 'X-Test-Categories': 'invoice', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' } }),
        '02-policy-technical.eml': testMail({
          id: '<pol@cliente.pt>',
          from: 'Rui Costa <rui@cliente.pt>',
          headers: { 'X-Test-Categories': 'policy, technical', 'X-Test-Nome': 'Rui Costa', 'X-Test-Nif': '123456789', 'X-Test-Tips': 'zoom' },
        }),
        '03-ask.eml': testMail({ id: '<ask@cliente.pt>', from: 'Eva <eva@cliente.pt>', headers: { 'X-Test-Categories': 'documents', 'X-Test-Nome': 'Eva Lopes' } }),
        '04-machine.eml': testMail({ id: '<ooo@cliente.pt>', from: 'Zé <ze@cliente.pt>', headers: { 'X-Test-Machine': 'Auto-Submitted: auto-replied' } }),
        '05-review.eml': testMail({ id: '<thanks@cliente.pt>', from: 'Li <li@cliente.pt>' }),
        '06-clinical.eml': testMail({
          id: '<clin@cliente.pt>',
          from: 'Bia <bia@cliente.pt>',
          subject: 'Dose do antibiótico',
          body: 'O médico receitou amoxicilina, é demais?',
          headers: { 'X-Test-Categories': 'clinical, invoice', 'X-Test-Nome': 'Bia Reis', 'X-Test-Nif': '123456789' },
        }),
        '07-ombudsman.eml': testMail({
          id: '<ouv@cliente.pt>',
          from: 'Teo <teo@cliente.pt>',
          headers: { 'X-Test-Categories': 'ombudsman', 'X-Test-Nome': 'Teo Silva', 'X-Test-Nif': '123456789' },
        }),
      };
      for (const [name, raw] of Object.entries(mails)) await writeFile(join(dir, name), raw);
      const ingested: string[] = [];
      pipeline = await startPipeline({
        sink,
        role: 'all',
        source: (s) => createFolderSource({ dir, sink: s, logger: createLogger({ level: 'silent' }), onIngested: (f) => ingested.push(f) }),
      });
      await pipeline.waitForIdle();
      expect(ingested).toHaveLength(7);

      expect(summary(sink.messages)).toEqual(
        [
          `forward → ${INVOICE_CC},${INVOICE_TO}`,
          'acknowledgement → ana@cliente.pt',
          `forward → ${MEDIS}`,
          `forward → ${MEDIS}`,
          'acknowledgement → rui@cliente.pt',
          'identity_request → eva@cliente.pt',
          `forward → ${CLINICAL}`,
          'acknowledgement → bia@cliente.pt',
          `forward → ${OMBUDSMAN}`,
          'acknowledgement → teo@cliente.pt',
        ].sort(),
      );

      const ackAna = sink.deliveredTo('ana@cliente.pt')[0]!;
      expect(ackAna.parsed.text).not.toContain(DISCLAIMER_START);
      expect(ackAna.parsed.inReplyTo).toBe('<inv@cliente.pt>');
      expect(ackAna.parsed.subject).toMatch(/^Re: Pedido \[#MO-\d{4}-\d{6}\]$/);
      const ackRui = sink.deliveredTo('rui@cliente.pt')[0]!;
      expect(ackRui.parsed.text).toContain(DISCLAIMER_START);
      expect(ackRui.parsed.text).toContain('zoom');
      expect(sink.deliveredTo('eva@cliente.pt')[0]!.parsed.text).not.toContain(DISCLAIMER_START);

      const invoice = sink.deliveredTo(INVOICE_TO)[0]!;
      expect(invoice.parsed.attachments.map((a) => a.contentType)).toEqual(['message/rfc822']);
      expect(invoice.header('x-triage-category')).toBe('invoice');
      expect(invoice.parsed.replyTo?.value[0]?.address).toMatch(/^apoio\+MO-\d{4}-\d{6}\.[a-z2-7]{20}@medico-online\.pt$/);
      const clinical = sink.deliveredTo(CLINICAL)[0]!;
      expect(clinical.parsed.replyTo?.value[0]?.address).toBe('bia@cliente.pt');
      const ackBia = sink.deliveredTo('bia@cliente.pt')[0]!;
      expect(`${ackBia.parsed.subject} ${ackBia.parsed.text}`).not.toMatch(/antibi|amoxicilina/i);
      expect(sink.deliveredTo('teo@cliente.pt')[0]!.parsed.text).toMatch(/OUV-\d{4}-\d{6}/);

      const store = pipeline.app.store;
      expect(await store.listMessages('suppressed')).toHaveLength(1);
      expect(await store.listMessages('review')).toHaveLength(1);
      expect(await store.listMessages('held')).toHaveLength(1);
      expect(await store.listMessages('forwarded')).toHaveLength(4);
      expect(await store.listCases('held')).toHaveLength(1);
      expect(await store.listCases('forwarded')).toHaveLength(4);
      expect(await store.listCases('review')).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('completes a held case when the customer answers on the thread with only the NIF', async () => {
    pipeline = await startPipeline({ sink });
    await ingest(testMail({ id: '<first@cliente.pt>', subject: 'Fatura de janeiro', headers: { 'X-Test-Categories': 'invoice', 'X-Test-Nome': 'Ana Sofia Martins' } }));
    await pipeline.waitForIdle();
    expect(summary(sink.messages)).toEqual(['identity_request → ana@cliente.pt']);
    const request = sink.messages[0]!;
    expect(request.parsed.text).toContain('NIF');
    const caseId = request.header('x-triage-case')!;
    expect((await pipeline.app.store.getCase(caseId))?.record.status).toBe('held');

    // The customer answers the identity request: only the NIF, on the thread.
    await ingest(
      testMail({
        id: '<answer@cliente.pt>',
        subject: request.parsed.subject!,
        inReplyTo: request.parsed.messageId!,
        references: ['<first@cliente.pt>', request.parsed.messageId!],
        body: 'NIF 123456789',
        headers: { 'X-Test-Nif': '123456789' },
      }),
    );
    await pipeline.waitForIdle();
    expect(summary(sink.messages)).toEqual(
      ['identity_request → ana@cliente.pt', 'acknowledgement → ana@cliente.pt', `forward → ${INVOICE_CC},${INVOICE_TO}`].sort(),
    );
    const forward = sink.deliveredTo(INVOICE_TO)[0]!;
    expect(forward.header('x-triage-case')).toBe(caseId);
    expect(forward.parsed.text).toContain('NIF: 123456789');
    expect(forward.parsed.attachments).toHaveLength(2);
    const stored = await pipeline.app.store.getCase(caseId);
    expect(stored?.record.status).toBe('forwarded');
    expect(stored?.record.identity).toEqual({ nome: 'Ana Sofia Martins', nif: '123456789', nifValid: true });
    expect(await pipeline.app.store.listCases('all')).toEqual([caseId]);

    // A repeated answer is a follow-up on the same case, never a second acknowledgement.
    await ingest(testMail({ id: '<again@cliente.pt>', inReplyTo: '<answer@cliente.pt>', headers: { 'X-Test-Nif': '123456789' } }));
    await pipeline.waitForIdle();
    expect(sink.messages.filter((m) => kindOf(m) === 'acknowledgement')).toHaveLength(1);
    expect(sink.deliveredTo(INVOICE_TO)).toHaveLength(2);
    expect(sink.deliveredTo(INVOICE_TO)[1]!.header('x-triage-follow-up')).toBe('yes');
  });

  it('processes the same message once, however often it arrives', async () => {
    pipeline = await startPipeline({ sink });
    const raw = testMail({ id: '<dup@cliente.pt>', headers: { 'X-Test-Categories': 'technical', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' } });
    const first = await ingest(raw);
    const second = await ingest(raw);
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ jobId: first.jobId, duplicate: true });
    await pipeline.waitForIdle();
    expect(sink.messages).toHaveLength(2);

    // Even once its job is gone (retention), a copy arriving again is processed once.
    await (await pipeline.app.queues.classify.getJob(first.jobId))?.remove();
    await ingest(raw);
    await pipeline.waitForIdle();
    expect(sink.messages).toHaveLength(2);
    expect(await pipeline.app.store.listMessages('forwarded')).toHaveLength(1);
  });

  it('does not send again when a send job runs again', async () => {
    pipeline = await startPipeline({ sink });
    await ingest(testMail({ id: '<once@cliente.pt>', headers: { 'X-Test-Categories': 'documents', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' } }));
    await pipeline.waitForIdle();
    expect(sink.messages).toHaveLength(2);
    const completed = await pipeline.app.queues.send.getCompleted();
    expect(completed).toHaveLength(2);
    for (const job of completed) {
      // The same job retried (a worker that crashed after the SMTP accept) …
      await job.retry('completed');
      // … and the same mail enqueued under another id.
      await pipeline.app.queues.send.add('again', job.data, { jobId: `again-${job.id}` });
    }
    await pipeline.waitForIdle();
    expect(sink.messages).toHaveLength(2);
    const again = await pipeline.app.queues.send.getCompleted();
    expect(again.map((j) => j.returnvalue)).toEqual(expect.arrayContaining([{ status: 'skipped', reason: 'already sent' }]));
  });

  it('retries a mail the server refuses for now (450)', async () => {
    pipeline = await startPipeline({ sink });
    sink.reject(INVOICE_TO, 450, 1);
    await ingest(testMail({ id: '<retry@cliente.pt>', headers: { 'X-Test-Categories': 'invoice', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' } }));
    await pipeline.waitForIdle();
    expect(sink.attempts.get(INVOICE_TO)).toBe(2);
    expect(sink.deliveredTo(INVOICE_TO)).toHaveLength(1);
    // The cc accepted the first time: the retry goes to the deferred recipient only.
    expect(sink.deliveredTo(INVOICE_CC)).toHaveLength(1);
    expect(await pipeline.app.queues.send.getFailedCount()).toBe(0);
  });

  it('fails for good only the recipients refused for good', async () => {
    pipeline = await startPipeline({ sink });
    sink.reject(INVOICE_CC, 550);
    await ingest(testMail({ id: '<partial@cliente.pt>', headers: { 'X-Test-Categories': 'invoice', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' } }));
    await pipeline.waitForIdle();
    expect(sink.deliveredTo(INVOICE_TO)).toHaveLength(1);
    expect(sink.attempts.get(INVOICE_CC)).toBe(1);
    const forward = sink.deliveredTo(INVOICE_TO)[0]!;
    const events = await pipeline.app.store.events(forward.header('x-triage-case')!);
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'mail', mailKind: 'forward', status: 'sent', detail: `refused for good: ${INVOICE_CC}` })]));
  });

  it('fails a mail the server refuses for good (550) and keeps it as a dead letter', async () => {
    pipeline = await startPipeline({ sink });
    sink.reject('eva@cliente.pt', 550);
    await ingest(testMail({ id: '<dead@cliente.pt>', from: 'Eva <eva@cliente.pt>', headers: { 'X-Test-Categories': 'documents', 'X-Test-Nome': 'Eva Lopes' } }));
    await pipeline.waitForIdle();
    expect(sink.attempts.get('eva@cliente.pt')).toBe(1);
    const failed = await pipeline.app.queues.send.getFailed();
    expect(failed).toHaveLength(1);
    const job = failed[0]!;
    expect(job.id).toBe(sendJobId(job.data.mail.messageId));
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/TRIAGE_SMTP_PERMANENT/);
    expect((job.stacktrace ?? []).join('\n')).toMatch(/550|mailbox unavailable/);
    const events = await pipeline.app.store.events(job.data.mail.caseId);
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'mail', status: 'failed' })]));

    // Visible and retryable: once the address accepts mail again, a retry delivers it once.
    sink.clear();
    await job.retry('failed');
    await pipeline.waitForIdle();
    expect(sink.deliveredTo('eva@cliente.pt')).toHaveLength(1);
  });

  it('asks for identity at most once per case per 24 h and caps automatic replies per address', async () => {
    pipeline = await startPipeline({ sink });
    await ingest(testMail({ id: '<h1@cliente.pt>', headers: { 'X-Test-Categories': 'documents' } }));
    await pipeline.waitForIdle();
    await ingest(testMail({ id: '<h2@cliente.pt>', inReplyTo: '<h1@cliente.pt>', body: 'Sou a Ana.', headers: { 'X-Test-Nome': 'Ana Sofia Martins' } }));
    await pipeline.waitForIdle();
    expect(summary(sink.messages)).toEqual(['identity_request → ana@cliente.pt']);
    const caseId = sink.messages[0]!.header('x-triage-case')!;
    const stored = await pipeline.app.store.getCase(caseId);
    expect(stored?.record.status).toBe('held');
    expect(stored?.record.identity.nome).toBe('Ana Sofia Martins');
    const events = await pipeline.app.store.events(caseId);
    expect(events.filter((e) => e.kind === 'mail' && e.status === 'skipped')).toHaveLength(1);
  });

  it('stops automatic replies to one address at the daily limit', async () => {
    pipeline = await startPipeline({ sink });
    const limit = pipeline.app.config.rules.limits.maxAutoRepliesPerAddressPerDay;
    for (let i = 0; i < limit + 2; i++) {
      await ingest(testMail({ id: `<cap${i}@cliente.pt>`, subject: `Pedido ${i}`, headers: { 'X-Test-Categories': 'documents' } }));
    }
    await pipeline.waitForIdle(30_000);
    expect(sink.deliveredTo('ana@cliente.pt')).toHaveLength(limit);
  });

  it('relays a team answer that carries a valid case token, and reviews a forged one', async () => {
    pipeline = await startPipeline({ sink });
    await ingest(testMail({ id: '<p1@cliente.pt>', headers: { 'X-Test-Categories': 'policy', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' } }));
    await pipeline.waitForIdle();
    const forward = sink.deliveredTo(MEDIS)[0]!;
    const replyTo = forward.parsed.replyTo!.value[0]!.address!;
    sink.clear();

    await ingest(
      testMail({
        id: '<team1@medis.pt>',
        from: `Médis <${MEDIS}>`,
        to: replyTo,
        subject: `Re: ${forward.parsed.subject}`,
        inReplyTo: forward.parsed.messageId!,
        body: 'O valor está correto.\r\n\r\nEm 2 de março de 2026, Apoio escreveu:\r\n> NIF: 123456789',
      }),
    );
    await pipeline.waitForIdle();
    expect(summary(sink.messages)).toEqual(['relay → ana@cliente.pt']);
    const relay = sink.messages[0]!.parsed;
    expect(relay.text).toContain('O valor está correto.');
    expect(relay.text).toContain(DISCLAIMER_START);
    expect(relay.text).not.toContain('123456789');
    expect(relay.inReplyTo).not.toBe('<team1@medis.pt>');

    sink.clear();
    const forged = replyTo.replace(/\.[a-z2-7]{20}@/, '.aaaaaaaaaaaaaaaaaaaa@');
    await ingest(testMail({ id: '<forged@x.pt>', from: `Médis <${MEDIS}>`, to: forged, body: 'Reembolso aprovado.' }));
    await pipeline.waitForIdle();
    expect(sink.messages).toHaveLength(0);
    expect(await pipeline.app.store.listMessages('review')).toHaveLength(1);
  });

  it('never forwards a team mail back when it skips the case reply address', async () => {
    pipeline = await startPipeline({ sink });
    await ingest(testMail({ id: '<t1@cliente.pt>', headers: { 'X-Test-Categories': 'technical', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' } }));
    await pipeline.waitForIdle();
    const forward = sink.deliveredTo(MEDIS)[0]!;
    sink.clear();
    await ingest(
      testMail({
        id: '<team-direct@medis.pt>',
        from: `Médis <${MEDIS}>`,
        to: INBOX,
        inReplyTo: forward.parsed.messageId!,
        headers: { 'X-Test-Categories': 'technical' },
      }),
    );
    await pipeline.waitForIdle();
    expect(sink.messages).toHaveLength(0);
    const [hash] = await pipeline.app.store.listMessages('review');
    const record = await pipeline.app.store.getMessage(hash!);
    expect(record?.reason).toMatch(/destination team/);
    expect(record?.caseId).toBe(forward.header('x-triage-case'));
  });

  it('sends oversized messages to review with the reason', async () => {
    pipeline = await startPipeline({ sink });
    const limit = pipeline.app.config.rules.limits.maxMessageBytes;
    const big = testMail({ id: '<big@cliente.pt>', body: 'x'.repeat(limit + 10), headers: { 'X-Test-Categories': 'invoice' } });
    await ingest(big);
    await pipeline.waitForIdle();
    expect(sink.messages).toHaveLength(0);
    const [hash] = await pipeline.app.store.listMessages('review');
    const record = await pipeline.app.store.getMessage(hash!);
    expect(record?.reason).toMatch(/over the .*-byte limit/);
    expect(record?.caseId).toMatch(/^MO-/);
  });

  it('shuts down in order while a send is in flight', async () => {
    pipeline = await startPipeline({ sink });
    await ingest(testMail({ id: '<late@cliente.pt>', headers: { 'X-Test-Categories': 'invoice', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' } }));
    await sink.waitFor((m) => m.length >= 1);
    await pipeline.app.workers!.close();
    // Whatever was accepted has its sent marker: nothing accepted is left unmarked.
    for (const message of sink.messages) {
      expect(await pipeline.app.store.isSent(message.parsed.messageId!)).toBe(true);
    }
  });
});

describe('the pipeline over time and in its logs', () => {
  it('sends a case still incomplete after the hold period to review', async () => {
    let now = new Date('2026-03-02T10:00:00Z');
    pipeline = await startPipeline({ sink, now: () => now });
    await ingest(testMail({ id: '<hold@cliente.pt>', headers: { 'X-Test-Categories': 'documents' } }));
    await pipeline.waitForIdle();
    const caseId = sink.messages[0]!.header('x-triage-case')!;
    now = new Date('2026-03-04T10:00:00Z');
    expect(await pipeline.app.workers!.sweepHeld()).toEqual([]);
    now = new Date('2026-03-08T10:00:01Z');
    expect(await pipeline.app.workers!.sweepHeld()).toEqual([caseId]);
    const stored = await pipeline.app.store.getCase(caseId);
    expect(stored?.record.status).toBe('review');
    expect(stored?.record.statusReason).toMatch(/identity still incomplete after 5 days/);
    expect(await pipeline.app.store.listCases('held')).toEqual([]);
    expect(await pipeline.app.store.listCases('review')).toEqual([caseId]);
  });

  it('never writes a message body or subject to the log', async () => {
    const lines: string[] = [];
    pipeline = await startPipeline({ sink, logStream: { write: (line) => void lines.push(line) } });
    sink.reject('bia@cliente.pt', 450, 1);
    await ingest(
      testMail({
        id: '<clinical-log@cliente.pt>',
        from: 'Bia <bia@cliente.pt>',
        subject: 'Efeitos da amoxicilina',
        body: 'Depois da amoxicilina fiquei com manchas vermelhas no corpo.',
        headers: { 'X-Test-Categories': 'clinical', 'X-Test-Nome': 'Bia Reis', 'X-Test-Nif': '123456789' },
      }),
    );
    await pipeline.waitForIdle();
    expect(sink.deliveredTo(CLINICAL)).toHaveLength(1);
    expect(lines.length).toBeGreaterThan(3);
    const all = lines.join('\n');
    expect(all).not.toMatch(/amoxicilina|manchas/i);
    expect(all).not.toContain('123456789');
  });
});
