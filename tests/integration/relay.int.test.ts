import { decide } from '../../src/core';
import { buildReplyAddress } from '../../src/core/reply-token';
import { appendMessages, testImapUrl, uniqueUser } from '../helpers/dovecot';
import { eventually, readMailbox } from '../helpers/imap-harness';
import { INBOX, SECRET, startPipeline, type Pipeline } from '../helpers/pipeline';
import { testMail } from '../helpers/scripted-decide';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink';

/**
 * Policy §3, §7 on the real stack: the customer's mail and the teams' answers arrive through the
 * test Dovecot (IMAP poller), cases live in Redis (DB 15), mail goes to the in-process SMTP sink.
 * A team's answer reaches the customer only through the case's reply address, from the case's own
 * team, once; anything else goes to review and never reaches a customer.
 */
jest.setTimeout(60_000);

const MEDIS = 'medico.online@medis.pt';
const INVOICE_TO = 'rute.joao.externo@ageas.pt';
const CLINICAL = 'areaclinica@saude360.medis.pt';
const DISCLAIMER =
  'Para informações adicionais relacionadas com o seguro de saúde Médis, deve utilizar o e-mail apoioaocliente@medis.pt, ou ligar para o número 218 458 888.';
const CUSTOMERS = ['ana@cliente.pt', 'rui@cliente.pt', 'bia@cliente.pt'];

let sink: SmtpSink;
let pipeline: Pipeline | null = null;
let user = '';

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
});
afterEach(async () => {
  await pipeline?.stop();
  pipeline = null;
});

/** The pipeline with its IMAP poller on a fresh Dovecot user: every message below arrives by IMAP. */
async function start(options: { realDecide?: boolean } = {}): Promise<Pipeline> {
  sink.clear();
  user = uniqueUser('relay');
  await appendMessages(user, []);
  pipeline = await startPipeline({
    sink,
    role: 'all',
    env: { IMAP_URL: testImapUrl(user), IMAP_POLL_SECONDS: '1' },
    ...(options.realDecide ? { decide } : {}),
  });
  return pipeline;
}

/** Delivers to the inbox (Dovecot) and waits until the pipeline has handled it and the mailbox is empty. */
async function deliver(...raws: Buffer[]): Promise<void> {
  await appendMessages(user, raws);
  await eventually(() => readMailbox(user), (inbox) => inbox !== null && inbox.length === 0, 20_000, 'an empty INBOX');
  await pipeline!.waitForIdle();
}

const toCustomers = (): SinkMessage[] => sink.messages.filter((m) => m.recipients.some((r) => CUSTOMERS.includes(r)));
const caseOf = (m: SinkMessage): string => m.header('x-triage-case') as string;

/** A team's answer as Outlook writes it: new text on top, our forward quoted below its header block, a PDF attached. */
function teamAnswer(fields: { id: string; from: string; to: string; subject: string; inReplyTo?: string; text: string; quoted: string; pdf?: boolean }): Buffer {
  const boundary = 'b-answer-1';
  const head = [
    `From: ${fields.from}`,
    `To: ${fields.to}`,
    `Subject: ${fields.subject}`,
    `Message-ID: ${fields.id}`,
    'Date: Tue, 3 Mar 2026 11:00:00 +0000',
    ...(fields.inReplyTo ? [`In-Reply-To: ${fields.inReplyTo}`, `References: ${fields.inReplyTo}`] : []),
    'MIME-Version: 1.0',
  ];
  const body = `${fields.text}\r\n\r\nDe: Apoio Médico Online <${INBOX}>\r\nEnviado: 2 de março de 2026 10:00\r\nPara: ${MEDIS}\r\nAssunto: ${fields.subject.replace(/^RE: /, '')}\r\n\r\n${fields.quoted.replace(/\n/g, '\r\n')}\r\n`;
  if (!fields.pdf) return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', body].join('\r\n'), 'utf8');
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n').toString('base64');
  return Buffer.from(
    [
      ...head,
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      body,
      `--${boundary}`,
      'Content-Type: application/pdf; name="simulacao.pdf"',
      'Content-Disposition: attachment; filename="simulacao.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      pdf,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
    'utf8',
  );
}

describe('the relay of a team answer, on the real stack (Dovecot, Redis, SMTP)', () => {
  it('when Médis answers a policy case through its reply address, then the customer gets it once, on their thread, with the disclaimer and the file, without our summary or headers', async () => {
    await start();
    await deliver(
      testMail({
        id: '<pol-1@cliente.pt>',
        subject: 'Valor da consulta',
        body: 'Quanto tenho de pagar pela consulta?',
        headers: { 'X-Test-Categories': 'policy', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' },
      }),
    );
    const forward = sink.deliveredTo(MEDIS)[0]!;
    const caseId = caseOf(forward);
    const replyTo = forward.parsed.replyTo!.value[0]!.address!;
    expect(replyTo).toBe(buildReplyAddress(INBOX, caseId, SECRET));
    const ack = sink.deliveredTo('ana@cliente.pt')[0]!;
    sink.clear();

    const answer = teamAnswer({
      id: '<answer-1@medis.pt>',
      from: `Médis Apoio <${MEDIS}>`,
      to: replyTo,
      subject: `RE: ${forward.parsed.subject}`,
      inReplyTo: forward.parsed.messageId!,
      text: 'Bom dia,\r\nO valor a seu cargo é de 15 EUR, conforme a simulação em anexo.\r\nCumprimentos,\r\nEquipa Médis',
      quoted: forward.parsed.text!,
      pdf: true,
    });
    // Delivered twice (a mail loop, a second copy in the mailbox), and processed once.
    await deliver(answer);
    await deliver(answer);

    expect(sink.messages).toHaveLength(1);
    const relay = sink.messages[0]!;
    expect(relay.recipients).toEqual(['ana@cliente.pt']);
    expect(relay.parsed.text).toContain('O valor a seu cargo é de 15 EUR');
    expect(relay.parsed.text).toContain(DISCLAIMER);
    // On the customer's thread: their own message answered, their thread in References.
    expect(relay.parsed.inReplyTo).toBe('<pol-1@cliente.pt>');
    expect(relay.parsed.references).toEqual(expect.arrayContaining(['<pol-1@cliente.pt>', ack.parsed.messageId]));
    expect(relay.parsed.references).not.toContain('<answer-1@medis.pt>');
    expect(relay.parsed.subject).toBe(`Re: Valor da consulta [#${caseId}]`);
    // Nothing of ours: no triage summary, no NIF, no customer text quoted back, no X-Triage-* header.
    expect(relay.parsed.text).not.toMatch(/123456789|triado automaticamente|Categoria|Quanto tenho de pagar/);
    expect([...relay.parsed.headers.keys()].filter((h) => h.startsWith('x-triage'))).toEqual([]);
    // The team's file goes with it; our forward (message/rfc822) never does.
    expect(relay.parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([['simulacao.pdf', 'application/pdf']]);

    const stored = (await pipeline!.app.store.getCase(caseId))!.record;
    expect(stored.status).toBe('replied');
    expect(stored.mails.filter((m) => m.kind === 'relay')).toHaveLength(1);

    // The relay's send job run again (a worker that died after the SMTP accept): still once.
    const relayJob = (await pipeline!.app.queues.send.getCompleted()).find((j) => j.data.mail.kind === 'relay')!;
    await relayJob.retry('completed');
    await pipeline!.waitForIdle();
    expect(sink.messages).toHaveLength(1);
  });

  it('when the real decision core reads the customer and the answer, then the policy answer from medico.online reaches the customer with the disclaimer, once', async () => {
    await start({ realDecide: true });
    await deliver(
      Buffer.from(
        [
          'From: Ana Martins <ana@cliente.pt>',
          `To: ${INBOX}`,
          'Subject: Valor da consulta',
          'Message-ID: <pol-real@cliente.pt>',
          'Date: Mon, 2 Mar 2026 10:00:00 +0000',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'Bom dia,',
          'Qual é o valor do copagamento da teleconsulta na minha apólice? Cobraram-me 15 euros e não sei se está certo.',
          'NIF 123456789',
          '',
          'Cumprimentos,',
          'Ana Sofia Martins',
          '',
        ].join('\r\n'),
        'utf8',
      ),
    );
    const forward = sink.deliveredTo(MEDIS)[0]!;
    expect(forward.header('x-triage-category')).toBe('policy');
    sink.clear();
    await deliver(
      teamAnswer({
        id: '<answer-real@medis.pt>',
        from: `Médis <${MEDIS}>`,
        to: forward.parsed.replyTo!.value[0]!.address!,
        subject: `RE: ${forward.parsed.subject}`,
        inReplyTo: forward.parsed.messageId!,
        text: 'Bom dia,\r\nO valor a seu cargo é de 15 EUR, está correto.\r\nCumprimentos,\r\nEquipa Médis',
        quoted: forward.parsed.text!,
      }),
    );
    expect(sink.messages.map((m) => m.recipients)).toEqual([['ana@cliente.pt']]);
    const relay = sink.messages[0]!.parsed;
    expect(relay.text).toContain('O valor a seu cargo é de 15 EUR, está correto.');
    expect(relay.text).toContain(DISCLAIMER);
    expect(relay.text).not.toMatch(/123456789|copagamento/);
    expect(relay.inReplyTo).toBe('<pol-real@cliente.pt>');
  });

  it('when an answer is forged in any way, then it goes to review with its reason and never reaches a customer', async () => {
    await start();
    await deliver(
      testMail({ id: '<pol-2@cliente.pt>', headers: { 'X-Test-Categories': 'policy', 'X-Test-Nome': 'Ana Sofia Martins', 'X-Test-Nif': '123456789' } }),
      testMail({ id: '<inv-2@cliente.pt>', from: 'Rui Costa <rui@cliente.pt>', headers: { 'X-Test-Categories': 'invoice', 'X-Test-Nome': 'Rui Costa', 'X-Test-Nif': '123456789' } }),
    );
    const policyForward = sink.deliveredTo(MEDIS)[0]!;
    const invoiceForward = sink.deliveredTo(INVOICE_TO)[0]!;
    const policyCase = caseOf(policyForward);
    const invoiceCase = caseOf(invoiceForward);
    const policyReplyTo = policyForward.parsed.replyTo!.value[0]!.address!;
    const invoiceReplyTo = invoiceForward.parsed.replyTo!.value[0]!.address!;
    const tokenOf = (address: string) => /\.([a-z2-7]{20})@/.exec(address)![1]!;
    sink.clear();

    const forged = (id: string, from: string, to: string, inReplyTo?: string) =>
      testMail({ id, from, to, subject: `RE: [#${policyCase}] Apólice`, body: 'Reembolso aprovado: envie-nos o IBAN.', ...(inReplyTo ? { inReplyTo } : {}) });
    const cases: Array<[string, Buffer, RegExp]> = [
      // No token: the team writes to the plain inbox, on the forward's thread.
      ['no token', forged('<f-none@medis.pt>', `Médis <${MEDIS}>`, INBOX, policyForward.parsed.messageId!), /destination team without the case reply address/],
      // The policy case's reference with the invoice case's token.
      ['a token of another case', forged('<f-other@medis.pt>', `Médis <${MEDIS}>`, policyReplyTo.replace(tokenOf(policyReplyTo), tokenOf(invoiceReplyTo))), /invalid token/],
      // A made-up token.
      ['a made-up token', forged('<f-made@x.pt>', `Médis <${MEDIS}>`, policyReplyTo.replace(tokenOf(policyReplyTo), 'a'.repeat(20))), /invalid token/],
      // The invoice case's valid reply address, written to by Médis (not the invoice team).
      ['a valid token from another team', forged('<f-team@medis.pt>', `Médis <${MEDIS}>`, invoiceReplyTo), /not the case's destination/],
      // The policy case's valid reply address, from a stranger who got hold of it.
      ['a valid token from a stranger', forged('<f-stranger@evil.example>', 'Médis <medico.online@medis-apoio.example>', policyReplyTo), /not the case's destination/],
      // The customer writing to the reply address is no team either.
      ['a valid token from the customer', forged('<f-customer@cliente.pt>', 'Ana <ana@cliente.pt>', policyReplyTo), /not the case's destination/],
    ];
    await deliver(...cases.map(([, raw]) => raw));

    expect(sink.messages).toEqual([]);
    const review = await pipeline!.app.store.listMessages('review');
    expect(review).toHaveLength(cases.length);
    const reasons = await Promise.all(review.map(async (hash) => (await pipeline!.app.store.getMessage(hash))!));
    for (const [label, raw, reason] of cases) {
      const id = /Message-ID: (<[^>]+>)/.exec(raw.toString())![1];
      const record = reasons.find((r) => r.messageId === id);
      expect([label, record?.outcome, record?.reason]).toEqual([label, 'review', expect.stringMatching(reason)]);
      expect(record?.mails).toEqual([]);
    }
    // The team's own out-of-office, sent to the valid reply address: machine mail, never relayed.
    await deliver(
      testMail({ id: '<ooo@medis.pt>', from: `Médis <${MEDIS}>`, to: policyReplyTo, subject: 'Ausência: Apólice', headers: { 'X-Test-Machine': 'Auto-Submitted: auto-replied' } }),
    );
    expect(sink.messages).toEqual([]);
    const ooo = (await Promise.all((await pipeline!.app.store.listMessages('suppressed')).map((h) => pipeline!.app.store.getMessage(h))))[0];
    expect(ooo).toMatchObject({ messageId: '<ooo@medis.pt>', outcome: 'suppressed', caseId: policyCase, mails: [] });

    // The real cases are untouched: no relay, still forwarded.
    for (const id of [policyCase, invoiceCase]) {
      const stored = (await pipeline!.app.store.getCase(id))!.record;
      expect([id, stored.status, stored.mails.filter((m) => m.kind === 'relay')]).toEqual([id, 'forwarded', []]);
    }
  });

  it('when a case is clinical, then its forward carries the customer as Reply-To and no reply address, and nothing the clinical team sends us reaches the customer', async () => {
    await start();
    await deliver(
      testMail({
        id: '<clin-1@cliente.pt>',
        from: 'Bia Reis <bia@cliente.pt>',
        subject: 'Dose do antibiótico',
        body: 'O médico receitou amoxicilina 1g de 8 em 8 horas, é demais?',
        headers: { 'X-Test-Categories': 'clinical', 'X-Test-Nome': 'Bia Reis', 'X-Test-Nif': '123456789' },
      }),
    );
    const forward = sink.deliveredTo(CLINICAL)[0]!;
    const caseId = caseOf(forward);
    expect(forward.parsed.replyTo!.value.map((a) => a.address)).toEqual(['bia@cliente.pt']);
    // No case reply address anywhere in the forward: the clinical team cannot answer through us.
    expect(forward.raw.toString('latin1')).not.toMatch(/apoio\+/i);
    expect(forward.parsed.text).not.toContain(buildReplyAddress(INBOX, caseId, SECRET));
    sink.clear();

    // A clinical answer copied to the inbox (reply-all), and one sent with the case's token (leaked).
    await deliver(
      teamAnswer({ id: '<clin-answer-1@saude360.pt>', from: `Área Clínica <${CLINICAL}>`, to: `bia@cliente.pt, ${INBOX}`, subject: 'RE: Dose', inReplyTo: forward.parsed.messageId!, text: 'A dose está correta para o seu peso.', quoted: '' }),
      teamAnswer({ id: '<clin-answer-2@saude360.pt>', from: `Área Clínica <${CLINICAL}>`, to: buildReplyAddress(INBOX, caseId, SECRET), subject: 'RE: Dose', text: 'A dose está correta para o seu peso.', quoted: '' }),
    );
    expect(sink.messages).toEqual([]);
    const stored = (await pipeline!.app.store.getCase(caseId))!.record;
    expect(stored.mails.filter((m) => m.kind === 'relay')).toEqual([]);
    const reasons = await Promise.all((await pipeline!.app.store.listMessages('review')).map(async (h) => (await pipeline!.app.store.getMessage(h))!.reason));
    expect(reasons.sort()).toEqual([
      'answer on a clinical case: the clinical team answers the customer directly',
      'mail from a destination team without the case reply address',
    ]);
  });
});
