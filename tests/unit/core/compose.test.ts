import { loadRules } from '../../../src/config/load';
import {
  answerText,
  baseSubject,
  composeRelay,
  messageIdFor,
  planMails,
  type ComposeContext,
  type MailPlanInput,
  type OutgoingMail,
} from '../../../src/core/compose';
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
