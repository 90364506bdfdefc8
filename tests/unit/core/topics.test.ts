import { loadRules } from '../../../src/config/load';
import type { Category, Manifestation } from '../../../src/config/schema';
import { toUnits } from '../../../src/core/cues';
import { classifyTopics } from '../../../src/core/topics';

/**
 * Policy §3-§4: which categories the customer's words ask for, after precedence (clinical alone,
 * then ombudsman alone, the rest combine), with the flags and tips of the routes that remain and
 * the manifestation of an ombudsman message.
 */

const rules = loadRules();

interface Outcome {
  categories: Category[];
  manifestation: Manifestation | null;
  flags: string[];
  tips: string[];
}

interface Row extends Partial<Outcome> {
  when: string;
  text: string;
}

function classify(text: string): Outcome {
  const { categories, manifestation, flags, tips } = classifyTopics(toUnits(text), rules);
  return { categories, manifestation, flags, tips };
}

function expected(row: Row): Outcome {
  return { categories: row.categories ?? [], manifestation: row.manifestation ?? null, flags: row.flags ?? [], tips: row.tips ?? [] };
}

const eachCategory: Row[] = [
  { when: 'the SMS with the prescription codes never arrived', text: 'Bom dia, a receita da consulta de ontem nunca chegou por SMS. Podem reenviar?', categories: ['documents'] },
  { when: 'an attendance declaration is needed for work', text: 'Preciso de uma declaração de presença na consulta de hoje para entregar na empresa.', categories: ['documents'] },
  { when: 'an English customer never received the sick note', text: "Hi, I never received the sick note from yesterday's video consultation, could you resend it?", categories: ['documents'] },
  { when: 'the customer asks how much the plan makes them pay', text: 'Quanto tenho de pagar por uma teleconsulta com o meu seguro? Não percebo o valor do copagamento.', categories: ['policy'] },
  { when: 'the customer asks whether the policy covers a specialty', text: 'A minha apólice cobre consultas de pediatria no Médico Online?', categories: ['policy'] },
  { when: 'the app shows an error at login', text: 'Sempre que tento entrar na app aparece "erro 500" e não passa daí.', categories: ['technical'] },
  { when: 'the sound failed and the call dropped during the consultation', text: 'Durante a videochamada o som não funcionava e a chamada caiu duas vezes.', categories: ['technical'] },
  { when: 'an English customer cannot log in', text: "Hello, I can't log in to the app since the last update.", categories: ['technical'] },
  { when: 'a cancelled consultation was charged to the card', text: 'A consulta foi cancelada pela clínica mas o valor foi debitado no meu cartão. Quero o reembolso.', categories: ['refund'] },
  { when: 'the doctor never joined and the customer was charged', text: 'The doctor never joined the call but I was charged 15 euros. I want my money back.', categories: ['refund'] },
  { when: 'an invoice with the NIF is needed for IRS', text: 'Preciso da fatura da consulta de dia 3 com o meu NIF para o IRS.', categories: ['invoice'] },
  { when: 'a second copy of a fatura-recibo is asked for', text: 'Podem enviar-me a 2ª via da fatura-recibo de outubro?', categories: ['invoice'] },
  { when: 'the customer is allergic to what was prescribed', text: 'O médico receitou-me amoxicilina mas eu sou alérgica à penicilina. Posso tomar?', categories: ['clinical'] },
  { when: 'the customer asks what an analysis result means', text: 'Recebi o resultado das análises, o que quer dizer o valor da ferritina?', categories: ['clinical'] },
  { when: 'the customer complains about the doctor\'s conduct', text: 'A médica foi muito mal-educada comigo e despachou-me em dois minutos.', categories: ['clinical'] },
  { when: 'the message is addressed to the Provedor do Cliente', text: 'Exmo. Senhor Provedor do Cliente, venho apresentar uma reclamação sobre o atendimento que tive.', categories: ['ombudsman'], manifestation: 'reclamacao' },
  { when: 'the customer only thanks the team', text: 'Olá, muito obrigada pela ajuda de ontem, correu tudo bem!', categories: [] },
  { when: 'the message is empty', text: '', categories: [] },
];

const documentsVersusClinical: Row[] = [
  { when: 'the name on the certificate is misspelled (administrative correction)', text: 'O atestado saiu com o meu apelido errado, escreveram Ribero em vez de Ribeiro. Podem corrigir?', categories: ['documents'] },
  { when: 'the date on the declaration is wrong (administrative correction)', text: 'A declaração tem a data errada: a consulta foi dia 12 e não dia 21. Podem emitir outra?', categories: ['documents'] },
  { when: 'the fever is only background to a declaration the doctor agreed to issue', text: 'O meu filho teve febre e a médica disse que passava a declaração para a escola, mas ainda não chegou.', categories: ['documents'] },
  { when: 'the doctor refused to issue the certificate', text: 'O médico recusou passar-me o atestado e eu preciso dele. Quero que outro médico reveja a decisão.', categories: ['clinical'] },
  { when: 'the certificate covers fewer days than the customer wants', text: 'O atestado só cobre dois dias mas eu continuo doente, o médico não me deixou explicar.', categories: ['clinical'] },
  { when: 'the dose prescribed is questioned', text: 'A dose de ibuprofeno que me receitaram parece-me demasiado alta. Devo tomar 3 vezes ao dia?', categories: ['clinical'] },
];

const precedence: Row[] = [
  { when: 'an invoice and an app error are asked for in one message', text: 'Preciso da fatura de outubro. E a app dá erro sempre que tento abrir as minhas consultas.', categories: ['technical', 'invoice'] },
  { when: 'an invoice request comes with a medication question', text: 'Preciso da fatura e também quero saber se posso tomar o antibiótico com o ben-u-ron.', categories: ['clinical'] },
  { when: 'a double charge comes with a complaint about the doctor', text: 'Fui cobrada duas vezes pela consulta e a médica foi mal-educada comigo.', categories: ['clinical'] },
  { when: 'a message to the ombudsman also asks for an invoice and mentions a double charge', text: 'Exmo. Senhor Provedor, fui cobrada duas vezes e ainda preciso da fatura.', categories: ['ombudsman'], manifestation: 'reclamacao' },
  { when: 'a message to the ombudsman asks a clinical question', text: 'Senhor Provedor, o médico receitou-me um antibiótico e sou alérgico a ele.', categories: ['clinical'] },
];

const refundVersusPolicy: Row[] = [
  { when: 'the customer paid once more than expected under the plan', text: 'Cobraram-me 25 euros pela consulta. Com o meu seguro o valor não devia ser 10 euros?', categories: ['policy'] },
  { when: 'the customer asks whether the amount is right under the policy', text: 'Paguei 25 euros em vez de 10, e quero saber se o valor está certo segundo a minha apólice.', categories: ['policy'] },
  { when: 'a consultation the customer cancelled was charged', text: 'Cancelei a consulta com um dia de antecedência e mesmo assim foi cobrada no cartão.', categories: ['refund'] },
  { when: 'a double charge and a coverage question are asked together', text: 'Fui cobrada duas vezes pela consulta. Também queria saber se a minha apólice cobre pediatria?', categories: ['policy', 'refund'], flags: ['multiple_charges'] },
  { when: 'the refund has already arrived', text: 'Já recebi o reembolso da consulta cancelada, obrigada.', categories: [] },
];

const multipleCharges: Row[] = [
  { when: 'the customer was charged twice', text: 'Fui cobrada duas vezes pela mesma consulta, aparecem dois movimentos de 15 € no extrato.', categories: ['refund'], flags: ['multiple_charges'] },
  { when: 'one of two movements is only held ("cativo")', text: 'Aparecem dois movimentos de 12€ no extrato, um deles pendente (cativo).', categories: ['refund'], flags: ['multiple_charges'] },
  { when: 'an English customer was charged twice', text: 'I was charged twice for the same appointment, please refund one of them.', categories: ['refund'], flags: ['multiple_charges'] },
  { when: 'a cancelled consultation was charged once', text: 'A consulta foi cancelada e o valor foi debitado no cartão. Quero o reembolso.', categories: ['refund'] },
  { when: 'the double charge is swallowed by a clinical request', text: 'Fui cobrado duas vezes e ainda por cima o médico não me ouviu nem me examinou.', categories: ['clinical'] },
  { when: 'the double charge is swallowed by a message to the ombudsman', text: 'Ao Provedor do Cliente: fui cobrado duas vezes pela mesma consulta.', categories: ['ombudsman'], manifestation: 'reclamacao' },
];

const zoomTip: Row[] = [
  { when: 'the booking button does not appear', text: 'Não consigo marcar consulta, o botão de confirmar não aparece no ecrã.', categories: ['technical'], tips: ['zoom'] },
  { when: 'the booking page is cut', text: 'A página de marcação fica cortada a meio e não dá para continuar.', categories: ['technical'], tips: ['zoom'] },
  { when: 'an English customer has no booking button', text: "There's no button to confirm the booking on my phone.", categories: ['technical'], tips: ['zoom'] },
  { when: 'a technical problem has nothing to do with the button', text: 'A app dá erro ao abrir a videochamada.', categories: ['technical'] },
  { when: 'the missing button comes with an invoice request', text: 'O botão de marcar não aparece. Também preciso da fatura de outubro.', categories: ['technical', 'invoice'], tips: ['zoom'] },
  { when: 'the missing button comes with a complaint about the doctor', text: 'O botão de marcar não aparece no ecrã. E da última vez o médico foi rude comigo.', categories: ['clinical'] },
];

const ombudsman: Row[] = [
  { when: 'the customer addresses the ouvidoria with an app problem', text: 'À Ouvidoria: a app não funciona há uma semana.', categories: ['ombudsman'], manifestation: 'reclamacao' },
  { when: 'the customer escalates after three unanswered mails to the ERS and the complaints book', text: 'Já enviei três emails sobre o reembolso e ninguém respondeu. Vou fazer queixa à ERS e pedir o livro de reclamações.', categories: ['ombudsman'], manifestation: 'reclamacao' },
  { when: 'the customer cites an earlier case and asks for a formal complaint', text: 'Já reclamei duas vezes, processo MO-2026-000456, e continuo sem solução. Quero apresentar uma reclamação formal.', categories: ['ombudsman'], manifestation: 'reclamacao' },
  { when: 'an English customer escalates to the regulator after no reply', text: 'I already wrote twice about this and got no reply. I will file a formal complaint with the regulator.', categories: ['ombudsman'], manifestation: 'reclamacao' },
  { when: 'a formal complaint has no sign of an earlier contact (first instance, by topic)', text: 'Venho apresentar uma reclamação formal: a consulta foi cancelada e cobraram-me na mesma.', categories: ['refund'] },
  { when: 'the complaints book is asked for with no earlier contact (first instance, by topic)', text: 'Quero o livro de reclamações, a app não funciona.', categories: ['technical'] },
  { when: '"still no answer" asks for nothing formal (first instance, by topic)', text: 'Já enviei três emails sobre a fatura e ninguém respondeu. Preciso da fatura de outubro.', categories: ['invoice'] },
  { when: 'the customer disputes a team\'s answer without a formal complaint (first instance)', text: 'Não concordo com a resposta que me deram sobre o copagamento. O valor não devia ser 10 euros?', categories: ['policy'] },
  { when: 'praise is not addressed to the ombudsman (no topic: review)', text: 'Quero deixar um elogio à Dra. Marta pela consulta de ontem, foi impecável.', categories: [] },
];

const manifestations: Row[] = [
  { when: 'the ombudsman is asked to register a complaint', text: 'Provedor do cliente: escrevo porque quero que fique registada a minha reclamação sobre a demora.', categories: ['ombudsman'], manifestation: 'reclamacao' },
  { when: 'the ombudsman is told about a fraud', text: 'Ao cuidado da Ouvidoria: alguém está a usar a minha conta de forma indevida, é fraude.', categories: ['ombudsman'], manifestation: 'denuncia' },
  { when: 'the ombudsman gets a suggestion', text: 'Senhor Provedor, tenho uma sugestão: a app devia permitir escolher o médico.', categories: ['ombudsman'], manifestation: 'sugestao' },
  { when: 'the ombudsman gets praise', text: 'Ao Provedor do Cliente: quero deixar um elogio à equipa de apoio.', categories: ['ombudsman'], manifestation: 'elogio' },
  { when: 'the ombudsman is asked for information', text: 'Exmos. Senhores da Provedoria, gostaria de saber qual o prazo de resposta a uma reclamação.', categories: ['ombudsman'], manifestation: 'informacao' },
  { when: 'the ombudsman is told of a scam and also praised (denúncia comes first)', text: 'Senhor Provedor, quero denunciar uma burla: ligaram-me a pedir o cartão em nome da Médis. Deixo também um elogio à médica.', categories: ['ombudsman'], manifestation: 'denuncia' },
  { when: 'the ombudsman is addressed with no manifestation word (falls back to complaint)', text: 'Provedor do Cliente, a app não funciona.', categories: ['ombudsman'], manifestation: 'reclamacao' },
];

describe('classifyTopics', () => {
  it.each(eachCategory)('when $when, then the categories are $categories', (row) => {
    expect(classify(row.text)).toEqual(expected(row));
  });

  it.each(documentsVersusClinical)('when $when, then it is $categories (documents vs clinical)', (row) => {
    expect(classify(row.text)).toEqual(expected(row));
  });

  it.each(precedence)('when $when, then the categories are $categories (precedence)', (row) => {
    expect(classify(row.text)).toEqual(expected(row));
  });

  it.each(refundVersusPolicy)('when $when, then the categories are $categories (refund vs policy)', (row) => {
    expect(classify(row.text)).toEqual(expected(row));
  });

  it.each(multipleCharges)('when $when, then the flags are $flags', (row) => {
    expect(classify(row.text)).toEqual(expected(row));
  });

  it.each(zoomTip)('when $when, then the tips are $tips', (row) => {
    expect(classify(row.text)).toEqual(expected(row));
  });

  it.each(ombudsman)('when $when, then the categories are $categories', (row) => {
    expect(classify(row.text)).toEqual(expected(row));
  });

  it.each(manifestations)('when $when, then the manifestation is $manifestation', (row) => {
    expect(classify(row.text)).toEqual(expected(row));
  });

  it('when the message is clinical, then the clinical evidence is kept for the decision (decide withholds it)', () => {
    const outcome = classifyTopics(toUnits('Devo parar de tomar o medicamento que me receitaram?'), rules);
    expect(outcome.evidence.map((e) => e.about)).toEqual(['clinical']);
  });

  // ---- Core behaviour found wrong: kept as skipped tests until topics.yaml is fixed. ----

  // BUG (vocabulary): the `cancelled` cue has "desmarc\w*" and "anulad[ao]", which miss the
  // first person past tense customers write ("desmarquei", c→qu before e; "anulei"), so
  // "I cancelled it and was charged" finds no category and goes to review.
  it.each([
    'Desmarquei a consulta com um dia de antecedência e mesmo assim foi cobrada no cartão.',
    'Anulei a consulta na app e mesmo assim o valor foi debitado no cartão.',
  ])('when the customer writes that they cancelled and were charged (%j), then it is refund', (text) => {
    expect(classify(text).categories).toEqual(['refund']);
  });

  // BUG (vocabulary): "pedir"/"pedia" are not request words for documents or invoice (the
  // lists have "peço", "solicito", "queria"…), so the common formal "Venho pedir a fatura …"
  // finds no category and goes to review.
  it.each([
    ['Venho pedir a fatura da consulta de dia 3.', 'invoice'],
    ['Boa tarde, pedia a fatura da teleconsulta de ontem.', 'invoice'],
    ['Venho por este meio pedir a 2ª via da receita.', 'documents'],
  ])('when the customer writes %j, then it is %s', (text, category) => {
    expect(classify(text).categories).toEqual([category]);
  });

  // GAP (policy §3 "whether the amount charged is right" is `policy`): the cost and the question
  // must be in the same sentence, so the very common "I paid X … Is that right?" in two
  // sentences finds no category and goes to review. "paguei" is also not a `cost` word
  // (pag(o|ar|a|amos|ava)).
  it('when the customer states what was paid and asks "Está certo?" in the next sentence, then it is policy', () => {
    expect(classify('Paguei 15 euros pela consulta mas pensei que era gratuita com o meu plano. Está certo?').categories).toEqual(['policy']);
  });
});
