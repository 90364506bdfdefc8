import { loadRules } from '../../../src/config/load';
import {
  answerText,
  baseSubject,
  composeOmbudsmanNotice,
  composeOmbudsmanReminder,
  composeRelay,
  messageIdFor,
  planMails,
  type ComposeContext,
  type MailPlanInput,
  type OutgoingMail,
} from '../../../src/core/compose';
import type { OmbudsmanCase } from '../../../src/core/ombudsman-states';
import { fold } from '../../../src/core/text';
import { caseView, decision, parsedMessage, ROUTES } from '../../helpers/pipeline-fixtures';

const rules = loadRules();
const ctx: ComposeContext = {
  rules,
  inboxAddress: 'apoio@medico-online.pt',
  fromName: 'Apoio Médico Online',
  caseReplyAddress: 'apoio+MO-2026-000123.abcdefghijklmnopqrst@medico-online.pt',
  now: new Date('2026-03-02T10:00:00Z'),
};
const trigger = { hash: 'f'.repeat(64), message: parsedMessage() };

function plan(over: Partial<MailPlanInput> = {}): OutgoingMail[] {
  return planMails(
    { case: caseView(), decision: decision(), trigger, held: [], acknowledged: false, forwardedCategories: [], ...over },
    ctx,
  );
}

const byKind = (mails: OutgoingMail[], kind: OutgoingMail['kind']) => mails.filter((m) => m.kind === kind);

describe('planMails', () => {
  it('sends nothing for review and suppress', () => {
    expect(plan({ decision: decision({ action: 'review', routes: [], reviewReason: 'no topic' } as never) })).toEqual([]);
    expect(plan({ decision: decision({ action: 'suppress', routes: [], machineReason: 'Auto-Submitted' } as never) })).toEqual([]);
  });

  it('forwards to each route with its cc, plus one acknowledgement however many routes', () => {
    const mails = plan({ decision: decision({ routes: [ROUTES.invoice!, ROUTES.technical!] }) });
    const forwards = byKind(mails, 'forward');
    expect(forwards.map((m) => [m.category, m.to, m.cc])).toEqual([
      ['invoice', ['rute.joao.externo@ageas.pt'], ['clinicadigital@saude360.medis.pt']],
      ['technical', ['medico.online@medis.pt'], []],
    ]);
    expect(byKind(mails, 'acknowledgement')).toHaveLength(1);
    expect(mails).toHaveLength(3);
  });

  it('acknowledges a case only once', () => {
    const mails = plan({ acknowledged: true });
    expect(byKind(mails, 'acknowledgement')).toHaveLength(0);
    expect(byKind(mails, 'forward')).toHaveLength(1);
  });

  it('asks for identity instead of forwarding', () => {
    const mails = plan({ decision: decision({ action: 'ask_identity', missing: ['nif'], identity: { nome: 'Ana Sofia Martins', nif: null, nifValid: null } }) });
    expect(mails.map((m) => m.kind)).toEqual(['identity_request']);
  });

  it('derives Message-IDs from case and step, the same on every run', () => {
    const a = plan({ decision: decision({ routes: [ROUTES.invoice!, ROUTES.technical!] }) });
    const b = plan({ decision: decision({ routes: [ROUTES.invoice!, ROUTES.technical!] }) });
    expect(a.map((m) => m.messageId)).toEqual(b.map((m) => m.messageId));
    expect(new Set(a.map((m) => m.messageId)).size).toBe(3);
    for (const m of a) expect(m.messageId).toMatch(/^<MO-2026-000123\.[a-z0-9-]+\.a1b2c3d4@triage\.medico-online\.pt>$/);
    expect(messageIdFor({ id: 'MO-2026-000123', nonce: 'a1b2c3d4' }, 'ack', rules)).toBe('<MO-2026-000123.ack.a1b2c3d4@triage.medico-online.pt>');
  });

  it('leaves no placeholder unfilled', () => {
    const all = [
      ...plan({ decision: decision({ routes: [ROUTES.invoice!, ROUTES.policy!], tips: ['zoom'], flags: ['multiple_charges'] }) }),
      ...plan({ decision: decision({ action: 'ask_identity', language: 'en', missing: ['nome', 'nif'], identity: { nome: null, nif: '123456780', nifValid: false } }) }),
    ];
    for (const m of all) {
      expect(m.text).not.toContain('{{');
      expect(m.subject).not.toContain('{{');
    }
  });
});

describe('the forward', () => {
  const [forward] = byKind(plan({ decision: decision({ flags: ['multiple_charges'], reasons: ['invoice: "fatura da consulta"'] }) }), 'forward');
  const mail = forward!;

  it('carries a triage summary on top, then the customer message', () => {
    const summaryEnd = mail.text.indexOf('Mensagem do cliente');
    const summary = mail.text.slice(0, summaryEnd);
    expect(summary).toContain('Referência: [#MO-2026-000123]');
    expect(summary).toContain('Categoria: Faturação (invoice)');
    expect(summary).toContain('NOME: Ana Sofia Martins');
    expect(summary).toContain('NIF: 123456789');
    expect(summary).toContain('Sinalizações: multiple_charges');
    expect(summary).toContain('- invoice: "fatura da consulta"');
    expect(mail.text.slice(summaryEnd)).toContain('preciso da fatura da consulta');
  });

  it('attaches the original message and sets the headers for mail rules', () => {
    expect(mail.attachments).toEqual([{ hash: 'f'.repeat(64), filename: 'MO-2026-000123-1.eml' }]);
    expect(mail.headers['Auto-Submitted']).toBe('auto-generated');
    expect(mail.headers['X-Triage-Case']).toBe('MO-2026-000123');
    expect(mail.headers['X-Triage-Category']).toBe('invoice');
    expect(mail.headers['X-Triage-Flags']).toBe('multiple_charges');
    expect(mail.headers['X-Loop']).toBe('apoio@medico-online.pt');
    expect(mail.subject).toBe('[#MO-2026-000123] Faturação: Pedido de fatura');
    expect(mail.from.address).toBe('apoio@medico-online.pt');
    expect(mail.capAddress).toBeNull();
  });

  it('brings answers back with the case token, except clinical where Reply-To is the customer', () => {
    expect(mail.replyTo).toBe(ctx.caseReplyAddress);
    const [clinical] = plan({ case: caseView({ categories: ['clinical'] }), decision: decision({ routes: [ROUTES.clinical!] }) });
    expect(clinical!.kind).toBe('forward');
    expect(clinical!.replyTo).toBe('ana@cliente.pt');
  });

  it('releases a held case with the held request and the completing answer attached', () => {
    const held = { hash: 'a'.repeat(64), message: parsedMessage({ messageId: '<m0@cliente.pt>', text: 'Quero a fatura de janeiro.' }) };
    const mails = plan({ held: [held] });
    const fwd = byKind(mails, 'forward')[0]!;
    expect(fwd.attachments.map((a) => a.hash)).toEqual(['a'.repeat(64), 'f'.repeat(64)]);
    expect(fwd.text).toContain('Quero a fatura de janeiro.');
    expect(fwd.text).toContain('identificação está agora completa');
  });

  it('marks a later message on a forwarded category as a follow-up', () => {
    const mails = plan({ acknowledged: true, forwardedCategories: ['invoice'] });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.headers['X-Triage-Follow-Up']).toBe('yes');
    expect(mails[0]!.step).toBe(`fwd-invoice-${'f'.repeat(12)}`);
  });
});

describe('replies to the customer', () => {
  it('acknowledge on the customer thread with the reference and what happens next', () => {
    const ack = byKind(plan(), 'acknowledgement')[0]!;
    expect(ack.to).toEqual(['ana@cliente.pt']);
    expect(ack.subject).toBe('Re: Pedido de fatura [#MO-2026-000123]');
    expect(ack.inReplyTo).toBe('<m1@cliente.pt>');
    expect(ack.references).toEqual(['<m1@cliente.pt>']);
    expect(ack.headers['Auto-Submitted']).toBe('auto-replied');
    expect(ack.text).toContain('[#MO-2026-000123]');
    expect(ack.text).toContain(rules.texts.pt.next_invoice);
    expect(ack.capAddress).toBe('ana@cliente.pt');
    expect(ack.text).not.toContain('preciso da fatura');
  });

  it('carry the Médis disclaimer verbatim iff the case has a policy route', () => {
    const withPolicy = plan({ case: caseView({ categories: ['policy'] }), decision: decision({ routes: [ROUTES.policy!], disclaimer: true }) });
    expect(byKind(withPolicy, 'acknowledgement')[0]!.text).toContain(rules.disclaimer);
    expect(byKind(withPolicy, 'forward')[0]!.text).not.toContain(rules.disclaimer);
    const withoutPolicy = plan();
    expect(byKind(withoutPolicy, 'acknowledgement')[0]!.text).not.toContain(rules.disclaimer);
    const askOnPolicy = plan({
      case: caseView({ categories: ['policy'] }),
      decision: decision({ action: 'ask_identity', routes: [ROUTES.policy!], disclaimer: true, missing: ['nif'] }),
    });
    expect(askOnPolicy[0]!.text).toContain(rules.disclaimer);
  });

  it('give the zoom tip in the customer language', () => {
    const pt = byKind(plan({ decision: decision({ routes: [ROUTES.technical!], tips: ['zoom'] }) }), 'acknowledgement')[0]!;
    expect(pt.text).toContain(rules.tips.zoom.text.pt!);
    const en = byKind(plan({ decision: decision({ routes: [ROUTES.technical!], tips: ['zoom'], language: 'en' }) }), 'acknowledgement')[0]!;
    expect(en.text).toContain(rules.tips.zoom.text.en!);
    expect(en.text).toContain('We have received your request');
  });

  it('give the ombudsman protocol number and deadline', () => {
    const view = caseView({ categories: ['ombudsman'], ombudsman: { protocol: 'OUV-2026-000007', deadline: '2026-03-10T17:30:00.000Z', manifestation: 'reclamacao' } });
    const mails = plan({ case: view, decision: decision({ routes: [ROUTES.ombudsman!], manifestation: 'reclamacao' }) });
    const ack = byKind(mails, 'acknowledgement')[0]!;
    expect(ack.text).toContain('OUV-2026-000007');
    expect(ack.text).toMatch(/10 de março de 2026/);
    expect(byKind(mails, 'forward')[0]!.headers['X-Triage-Protocol']).toBe('OUV-2026-000007');
  });

  it('never quote a clinical subject or text back', () => {
    const clinicalMessage = parsedMessage({ subject: 'Dose do antibiótico', text: 'O médico receitou amoxicilina 1g, é demais?' });
    const mails = plan({
      case: caseView({ categories: ['clinical'], subject: 'Dose do antibiótico' }),
      decision: decision({ routes: [ROUTES.clinical!] }),
      trigger: { hash: trigger.hash, message: clinicalMessage },
    });
    const ack = byKind(mails, 'acknowledgement')[0]!;
    expect(ack.subject).toBe('Re: O seu pedido de apoio [#MO-2026-000123]');
    expect(ack.text).not.toMatch(/antibi|amoxicilina/i);
    const ask = plan({
      case: caseView({ categories: ['clinical'], subject: 'Dose do antibiótico' }),
      decision: decision({ action: 'ask_identity', routes: [ROUTES.clinical!], missing: ['nif'] }),
      trigger: { hash: trigger.hash, message: clinicalMessage },
    })[0]!;
    expect(ask.subject).not.toMatch(/antibi/i);
    expect(ask.text).not.toMatch(/antibi|amoxicilina/i);
  });
});

describe('the identity request', () => {
  const ask = (over: Parameters<typeof decision>[0]) => plan({ decision: decision({ action: 'ask_identity', ...over }) })[0]!;

  it('asks for exactly what is missing', () => {
    const onlyNif = ask({ missing: ['nif'], identity: { nome: 'Ana Sofia Martins', nif: null, nifValid: null } });
    expect(onlyNif.text).toContain(rules.texts.pt.missing_nif);
    expect(onlyNif.text).not.toContain(rules.texts.pt.missing_nome);
    expect(onlyNif.text).not.toContain(rules.texts.pt.nif_invalid);
    const both = ask({ missing: ['nome', 'nif'], identity: { nome: null, nif: null, nifValid: null } });
    expect(both.text).toContain(rules.texts.pt.missing_nome);
    expect(both.text).toContain(rules.texts.pt.missing_nif);
  });

  it('says when the NIF given is not valid', () => {
    const invalid = ask({ missing: ['nif'], identity: { nome: 'Ana Sofia Martins', nif: '123456780', nifValid: false } });
    expect(invalid.text).toContain(rules.texts.pt.nif_invalid);
  });

  it('is written in the customer language, on the thread, and recognisable when quoted back', () => {
    const en = ask({ language: 'en', missing: ['nome'], identity: { nome: null, nif: '123456789', nifValid: true } });
    expect(en.text).toContain(rules.texts.en.missing_nome);
    expect(en.subject).toBe('Re: Pedido de fatura [#MO-2026-000123]');
    expect(en.inReplyTo).toBe('<m1@cliente.pt>');
    expect(en.headers['Auto-Submitted']).toBe('auto-replied');
    const firstLine = fold(en.text.split('\n')[0]!);
    expect(rules.authorship.ownTemplateMarkers.some((p) => new RegExp(p, 'u').test(firstLine))).toBe(true);
    expect(en.step).toBe(`idreq-${'f'.repeat(12)}`);
  });
});

describe('relay and helpers', () => {
  it('relays only the team text, on the customer thread, with the disclaimer on policy cases', () => {
    const answer = parsedMessage({
      messageId: '<team1@medis.pt>',
      from: { name: 'Médis', address: 'medico.online@medis.pt' },
      text: 'O valor cobrado está correto.\n\nEm 2 de março de 2026, Apoio escreveu:\n> NIF: 123456789\n> fatura',
    });
    const relay = composeRelay(caseView({ categories: ['policy'], thread: ['<m1@cliente.pt>', '<ack@x>'] }), 'pt', { hash: 'b'.repeat(64), message: answer }, ctx);
    expect(relay.to).toEqual(['ana@cliente.pt']);
    expect(relay.inReplyTo).toBe('<ack@x>');
    expect(relay.text).toContain('O valor cobrado está correto.');
    expect(relay.text).not.toContain('123456789');
    expect(relay.text).toContain(rules.disclaimer);
    expect(relay.capAddress).toBeNull();
  });

  it('strips reply prefixes and references from subjects', () => {
    expect(baseSubject('RE: Fwd: [#MO-2026-000001] Fatura em falta')).toBe('Fatura em falta');
    expect(baseSubject('Re: Re: ')).toBe('');
  });

  it('cuts quoted text from an answer', () => {
    expect(answerText('Olá\n> citado\nOn Mon, 2 Mar 2026, Ana wrote:\nresto', rules)).toBe('Olá');
    expect(answerText('Feito.\n-----Original Message-----\nFrom: x', rules)).toBe('Feito.');
  });
});

describe('composeRelay', () => {
  const view = caseView({
    categories: ['policy'],
    thread: ['<m1@cliente.pt>', '<MO-2026-000123.ack.a1b2c3d4@triage.medico-online.pt>', '<m2@cliente.pt>', '<MO-2026-000123.idreq-x.a1b2c3d4@triage.medico-online.pt>'],
  });
  const relay = (text: string, over: Parameters<typeof parsedMessage>[0] = {}) =>
    composeRelay(view, 'pt', { hash: 'c'.repeat(64), message: parsedMessage({ messageId: '<team@medis.pt>', from: { name: 'Médis', address: 'medico.online@medis.pt' }, text, ...over }) }, ctx);

  it('when a team answers, then the relay answers the customer\'s own latest message, on their thread, under "Re: … [#REF]"', () => {
    const mail = relay('O valor está correto.');
    expect(mail.inReplyTo).toBe('<m2@cliente.pt>');
    expect(mail.references).toEqual(view.thread);
    expect(mail.references).not.toContain('<team@medis.pt>');
    expect(mail.subject).toBe('Re: Pedido de fatura [#MO-2026-000123]');
    expect(mail.to).toEqual(['ana@cliente.pt']);
  });

  it('when relayed, then none of our internal X-Triage-* headers goes to the customer', () => {
    const mail = relay('O valor está correto.');
    expect(Object.keys(mail.headers).filter((h) => /^x-triage-/i.test(h))).toEqual([]);
    expect(mail.headers['Auto-Submitted']).toBe('auto-replied');
  });

  it.each([
    ['a Gmail attribution', 'Em seg., 2 de mar. de 2026 às 10:00, Apoio <apoio@medico-online.pt> escreveu:'],
    ['an Outlook header block', 'De: Apoio Médico Online <apoio@medico-online.pt>\nEnviado: 2 de março de 2026 10:00\nPara: medico.online@medis.pt\nAssunto: [#MO-2026-000123] Apólice: Pedido de fatura'],
    ['our forward pasted without any marker', ''],
  ])('when the answer quotes our forward after %s, then no triage summary, NIF or customer text is relayed', (_label, opener) => {
    const forward = [
      'Pedido de cliente triado automaticamente. Responda para o endereço indicado em Responder-a, mantendo a referência no assunto.',
      '',
      'Referência: [#MO-2026-000123]',
      'Categoria: Apólice (policy)',
      'NIF: 123456789',
      '----- Mensagem do cliente -----',
      'Quanto tenho de pagar pela consulta?',
    ].join('\n');
    const mail = relay(`O valor de 15 EUR está correto.\n\nCumprimentos,\nEquipa Médis\n\n${opener}\n${forward}`);
    expect(mail.text).toContain('O valor de 15 EUR está correto.');
    expect(mail.text).toContain('Equipa Médis');
    expect(mail.text).not.toMatch(/123456789|triado automaticamente|Categoria|Quanto tenho de pagar/);
    expect(mail.text).toContain(rules.disclaimer);
  });

  it('when the case has no policy route, then the relay has no disclaimer', () => {
    const mail = composeRelay(caseView({ categories: ['invoice'] }), 'pt', { hash: 'c'.repeat(64), message: parsedMessage({ text: 'Segue a fatura.' }) }, ctx);
    expect(mail.text).not.toContain(rules.disclaimer);
  });

  it('when the team attaches a file, then the relay carries the files of the answer, never the answer itself', () => {
    const withFile = relay('Segue a fatura.', { attachments: [{ filename: 'fatura.pdf', contentType: 'application/pdf', size: 1000, isMessage: false }] });
    expect(withFile.attachments).toEqual([{ hash: 'c'.repeat(64), filename: '', files: true }]);
    const onlyOurForward = relay('Ok.', { attachments: [{ filename: 'MO-2026-000123-1.eml', contentType: 'message/rfc822', size: 1000, isMessage: true }] });
    expect(onlyOurForward.attachments).toEqual([]);
  });

  it('when the same answer is composed twice, then it has the same Message-ID (a retry never relays twice)', () => {
    expect(relay('a').messageId).toBe(relay('a').messageId);
    expect(relay('a').messageId).toBe('<MO-2026-000123.relay-cccccccccccc.a1b2c3d4@triage.medico-online.pt>');
  });
});

describe('composeOmbudsmanNotice', () => {
  const ombudsman: OmbudsmanCase = {
    protocol: 'OUV-2026-000007',
    manifestation: 'reclamacao',
    state: 'in_analysis',
    receivedAt: '2026-03-27T19:00:00.000Z',
    deadline: '2026-04-08T16:30:00.000Z',
    deadlineBusinessDays: 7,
    complex: null,
    history: [
      { from: null, to: 'received', at: '2026-03-27T19:00:00.000Z' },
      { from: 'received', to: 'in_analysis', at: '2026-03-30T09:00:00.000Z' },
    ],
  };
  const view = caseView({ categories: ['ombudsman'], subject: 'Reclamação', thread: ['<r1@cliente.pt>', '<MO-2026-000123.ack.a1b2c3d4@triage.medico-online.pt>'] });

  it.each([
    ['in_analysis', 'pt', /mudou de estado: em análise[\s\S]*Prazo de resposta: até 8 de abril de 2026 às 17:30/],
    ['answered', 'pt', /mudou de estado: respondido/],
    ['closed', 'pt', /mudou de estado: encerrado/],
    ['in_analysis', 'en', /has changed state: in analysis[\s\S]*Answer due by: 8 April 2026 at 17:30/],
    ['closed', 'en', /has changed state: closed/],
  ] as const)('when the case goes to %s, then the customer is told in %s, with the protocol', (to, lang, expected) => {
    const mail = composeOmbudsmanNotice(view, { ...ombudsman, state: to }, lang, { type: 'state_changed', to, index: 1 }, ctx);
    expect(mail.kind).toBe('ombudsman_notice');
    expect(mail.text).toContain('OUV-2026-000007');
    expect(mail.text).toMatch(expected);
    expect(mail.step).toBe(`ouv-1-${to}`);
    expect(mail.to).toEqual(['ana@cliente.pt']);
    expect(mail.inReplyTo).toBe('<r1@cliente.pt>');
    expect(mail.subject).toBe('Re: Reclamação [#MO-2026-000123]');
    expect(mail.capAddress).toBeNull();
    expect(mail.text).not.toMatch(/\{\{/);
  });

  it('when the case is marked complex, then the customer is told the new deadline but not the internal reason', () => {
    const complex = { ...ombudsman, deadline: '2026-05-12T16:30:00.000Z', deadlineBusinessDays: 30, complex: { reason: 'Precisa do registo da consulta', markedAt: '2026-04-01T10:00:00.000Z', businessDays: 30 } };
    const mail = composeOmbudsmanNotice(view, complex, 'pt', { type: 'marked_complex' }, ctx);
    expect(mail.step).toBe('ouv-complex');
    expect(mail.text).toMatch(/prazo de resposta foi alargado: responderemos até 12 de maio de 2026 às 17:30/);
    expect(mail.text).not.toContain('registo da consulta');
  });

  it('when the same change is composed again, then the Message-ID is the same (sent once)', () => {
    const a = composeOmbudsmanNotice(view, ombudsman, 'pt', { type: 'state_changed', to: 'in_analysis', index: 1 }, ctx);
    const b = composeOmbudsmanNotice(view, ombudsman, 'pt', { type: 'state_changed', to: 'in_analysis', index: 1 }, ctx);
    const again = composeOmbudsmanNotice(view, ombudsman, 'pt', { type: 'state_changed', to: 'in_analysis', index: 3 }, ctx);
    expect(a.messageId).toBe(b.messageId);
    expect(again.messageId).not.toBe(a.messageId);
  });
});

describe('composeOmbudsmanReminder', () => {
  const ombudsman: OmbudsmanCase = {
    protocol: 'OUV-2026-000007',
    manifestation: 'reclamacao',
    state: 'received',
    receivedAt: '2026-03-27T19:00:00.000Z',
    deadline: '2026-04-08T16:30:00.000Z',
    deadlineBusinessDays: 7,
    complex: null,
    history: [{ from: null, to: 'received', at: '2026-03-27T19:00:00.000Z' }],
  };

  it('when a deadline is near, then the ombudsman team is reminded with protocol, deadline and state, and no customer text', () => {
    const view = caseView({ categories: ['ombudsman'], subject: 'O médico foi rude na consulta' });
    const mail = composeOmbudsmanReminder(view, ombudsman, { to: ['provedor@exemplo.pt'], cc: [] }, ctx);
    expect(mail.kind).toBe('ombudsman_reminder');
    expect(mail.to).toEqual(['provedor@exemplo.pt']);
    expect(mail.subject).toBe('[#MO-2026-000123] Lembrete de prazo: OUV-2026-000007');
    expect(mail.text).toMatch(/termina a 8 de abril de 2026 às 17:30/);
    expect(mail.text).toContain('Estado: recebido');
    expect(`${mail.subject}${mail.text}`).not.toContain('rude');
    // No case reply address: an answer to the reminder can never be relayed to the customer.
    expect(mail.replyTo).toBeNull();
    expect(mail.headers['Auto-Submitted']).toBe('auto-generated');
  });

  it('when the deadline changes (complex), then the reminder for the new one is another mail', () => {
    const view = caseView({ categories: ['ombudsman'] });
    const first = composeOmbudsmanReminder(view, ombudsman, { to: ['provedor@exemplo.pt'], cc: [] }, ctx);
    const extended = composeOmbudsmanReminder(view, { ...ombudsman, deadline: '2026-05-12T16:30:00.000Z' }, { to: ['provedor@exemplo.pt'], cc: [] }, ctx);
    expect(first.step).toBe('ouv-reminder-202604081630');
    expect(extended.messageId).not.toBe(first.messageId);
  });
});
