import type { Decision, ParsedMessage, Route } from '../../src/core/types';
import type { CaseView } from '../../src/core/compose';

/** A ParsedMessage with plain defaults, for tests of the pipeline's pure parts. */
export function parsedMessage(over: Partial<ParsedMessage> = {}): ParsedMessage {
  return {
    messageId: '<m1@cliente.pt>',
    inReplyTo: null,
    references: [],
    subject: 'Pedido de fatura',
    from: { name: 'Ana Martins', address: 'ana@cliente.pt' },
    to: [{ name: '', address: 'apoio@medico-online.pt' }],
    cc: [],
    replyTo: [],
    date: '2026-03-02T10:00:00.000Z',
    headers: {},
    contentType: 'text/plain',
    reportType: null,
    partTypes: ['text/plain'],
    text: 'Bom dia, preciso da fatura da consulta.',
    textFromHtml: false,
    attachments: [],
    embedded: [],
    size: 400,
    problems: [],
    ...over,
  };
}

export const ROUTES: Record<string, Route> = {
  invoice: { category: 'invoice', to: ['rute.joao.externo@ageas.pt'], cc: ['clinicadigital@saude360.medis.pt'] },
  policy: { category: 'policy', to: ['medico.online@medis.pt'], cc: [] },
  technical: { category: 'technical', to: ['medico.online@medis.pt'], cc: [] },
  clinical: { category: 'clinical', to: ['areaclinica@saude360.medis.pt'], cc: [] },
  documents: { category: 'documents', to: ['telemedicina@smpsaude.pt'], cc: [] },
  ombudsman: { category: 'ombudsman', to: ['provedor@exemplo.pt'], cc: [] },
};

/** A decision with complete identity, forwarding to the given routes. */
export function decision(over: Partial<Decision> & { action?: Decision['action'] } = {}): Decision {
  const base = {
    action: 'forward',
    messageId: '<m1@cliente.pt>',
    routes: [ROUTES.invoice!],
    disclaimer: false,
    tips: [],
    flags: [],
    identity: { nome: 'Ana Sofia Martins', nif: '123456789', nifValid: true },
    missing: [],
    manifestation: null,
    language: 'pt',
    reasons: ['invoice: "fatura"'],
  };
  return { ...base, ...over } as Decision;
}

export function caseView(over: Partial<CaseView> = {}): CaseView {
  return {
    id: 'MO-2026-000123',
    nonce: 'a1b2c3d4',
    customer: { address: 'ana@cliente.pt', name: 'Ana Martins' },
    subject: 'Pedido de fatura',
    thread: ['<m1@cliente.pt>'],
    categories: ['invoice'],
    identity: { nome: 'Ana Sofia Martins', nif: '123456789', nifValid: true },
    ombudsman: null,
    ...over,
  };
}
