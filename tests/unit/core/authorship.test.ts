import { parseMessage } from '../../../src/adapters/mime';
import { loadRules } from '../../../src/config/load';
import { splitAuthorship, type Author, type Authorship } from '../../../src/core/authorship';
import type { ParsedMessage, Rules } from '../../../src/core/types';
import { loadEml } from '../../helpers/load-eml';

/**
 * Policy §1: only the customer's own words count — their new text and their own earlier message
 * quoted or forwarded. Anyone else's text (our replies, a clinic's, a company's, a newsletter),
 * device footers and legal notices never count; a block whose author is unclear does not count.
 *
 * Every fixture lives in tests/fixtures/eml/core/authorship/ and is parsed by the real mime
 * adapter, so the mailparser mapping (HTML quotes, message/rfc822 parts) is covered too.
 * The customer's own NIF in these fixtures is 215673018; any other 9-digit number belongs to
 * somebody else (a clinic's NIPC 501273018, a colleague's 247373010).
 */

const rules = loadRules();
/** The shared inbox configured under another address than the one the customer wrote to. */
const rulesWithInbox: Rules = { ...rules, self: { ...rules.self, inboxAddresses: ['triagem@medico-online.pt'] } };

const parsed = new Map<string, Promise<ParsedMessage>>();
function load(fixture: string): Promise<ParsedMessage> {
  let message = parsed.get(fixture);
  if (!message) {
    message = parseMessage(loadEml(`core/authorship/${fixture}`));
    parsed.set(fixture, message);
  }
  return message;
}

/** Authors of the quoted blocks that hold any text, in order of appearance. */
function quotedAuthors(split: Authorship): Author[] {
  return split.segments.filter((s) => s.source === 'quoted' && s.text.trim() !== '').map((s) => s.author);
}

interface Row {
  when: string;
  then: string;
  fixture: string;
  rules?: Rules;
  /** Phrases that must (or must not) be in the customer's new words. */
  newHas?: string[];
  newLacks?: string[];
  /** Phrases that must (or must not) be in the customer's own earlier words. */
  ownHas?: string[];
  ownLacks?: string[];
  /** Who wrote each quoted block. */
  quoted?: Author[];
}

const rows: Row[] = [
  // Gmail "Em …, … escreveu:"
  {
    when: 'a Gmail reply quotes the customer\'s own earlier mail under a one-line "Em …, … escreveu:"',
    then: 'the quote is the customer\'s own earlier text and the new text stops before it',
    fixture: 'gmail-one-line-own.eml',
    newHas: ['a fatura continua sem chegar'],
    newLacks: ['215673018', 'escreveu'],
    ownHas: ['preciso da fatura da teleconsulta', '215673018'],
    quoted: ['customer'],
  },
  {
    when: 'the Gmail attribution is wrapped onto two lines (address split after "<")',
    then: 'it is still read as the customer\'s own quote',
    fixture: 'gmail-two-line-own.eml',
    newHas: ['Boa tarde, ainda nada.'],
    newLacks: ['ana.martins@example.net', 'escreveu', '215673018'],
    ownHas: ['215673018'],
    quoted: ['customer'],
  },
  {
    when: 'a Gmail reply quotes a pharmacy\'s mail with its NIPC and signature',
    then: 'nothing of the quote counts',
    fixture: 'gmail-quote-other.eml',
    newHas: ['Reencaminho a resposta'],
    newLacks: ['501273018', 'Rui Gomes Pacheco'],
    ownLacks: ['501273018', 'código de dispensa'],
    quoted: ['other'],
  },
  {
    when: 'the customer answers our identity request with only the NIF, Gmail quoting it',
    then: 'our request (with the words NOME and NIF) is ours and never the customer\'s',
    fixture: 'gmail-quote-ours.eml',
    newHas: ['215673018'],
    newLacks: ['NOME e NIF', 'Equipa de Apoio'],
    ownLacks: ['NOME e NIF', 'nome completo'],
    quoted: ['ours'],
  },
  {
    when: 'our identity request is quoted from the configured inbox address, not the one the customer wrote to',
    then: 'the quote is still ours and its example identity never counts',
    fixture: 'gmail-quote-inbox-alias.eml',
    rules: rulesWithInbox,
    newHas: ['Ana Sofia Martins'],
    newLacks: ['Maria Fernandes Lobo', '247373010'],
    ownLacks: ['Maria Fernandes Lobo', '247373010'],
    quoted: ['ours'],
  },
  // Apple "A …, às …, … escreveu:" with > nesting
  {
    when: 'an Apple Mail reply nests a clinic\'s answer (>>) inside the customer\'s own earlier mail (>)',
    then: 'the customer\'s level counts and the clinic\'s level does not',
    fixture: 'apple-nested.eml',
    newHas: ['Continuo à espera da receita.'],
    newLacks: ['215673018'],
    ownHas: ['nunca chegou por SMS', '215673018'],
    ownLacks: ['501273018', 'Marta Sousa Vieira', 'emitida pelo Médico Online'],
    quoted: ['customer', 'other'],
  },
  {
    when: 'Apple Mail keeps each attribution inside the quote level it introduces',
    then: 'the customer\'s level counts and our nested identity request does not',
    fixture: 'apple-attribution-inside-quote.eml',
    newHas: ['Continuo à espera da receita.'],
    ownHas: ['215673018'],
    ownLacks: ['NOME e NIF', 'Maria Fernandes Lobo', '247373010'],
    quoted: ['customer', 'ours'],
  },
  // Outlook De:/Enviado:/Para:/Assunto: and Brazilian De:/Enviada em:/Para:/Assunto:
  {
    when: 'an Outlook "____" separator and "De:/Enviado:/Para:/Assunto:" block introduce the customer\'s own earlier mail',
    then: 'that mail counts as the customer\'s own earlier text',
    fixture: 'outlook-pt-separator-own.eml',
    newHas: ['continuo sem a declaração'],
    newLacks: ['Enviado:', 'Assunto:', '215673018'],
    ownHas: ['declaração de presença', '215673018'],
    ownLacks: ['Assunto:'],
    quoted: ['customer'],
  },
  {
    when: 'an Outlook "De:/Enviado:/Para:/Assunto:" block without separator introduces the employer\'s mail',
    then: 'the employer\'s text, NIF and signature do not count',
    fixture: 'outlook-pt-no-separator-other.eml',
    newHas: ['vejam abaixo'],
    newLacks: ['501273018', 'Carlos Pinto Moreira', 'atestado'],
    ownLacks: ['501273018', 'Carlos Pinto Moreira', 'atestado'],
    quoted: ['other'],
  },
  {
    when: 'a Brazilian Outlook "____" and "De:/Enviada em:/Para:/Assunto:" block introduces the customer\'s own mail',
    then: 'that mail counts as the customer\'s own earlier text',
    fixture: 'outlook-br-separator-own.eml',
    newHas: ['reenvio meu pedido'],
    newLacks: ['Enviada em', '215673018'],
    ownHas: ['cobrada duas vezes', '215673018'],
    quoted: ['customer'],
  },
  {
    when: 'a Brazilian Outlook block without separator ("De: … [mailto:…]") introduces our own identity request',
    then: 'our request is ours and never the customer\'s',
    fixture: 'outlook-br-no-separator-ours.eml',
    newHas: ['Segue.'],
    newLacks: ['NOME e NIF'],
    ownLacks: ['NOME e NIF'],
    quoted: ['ours'],
  },
  // Forwards
  {
    when: 'the customer forwards their own earlier mail ("---------- Forwarded message ---------")',
    then: 'the forwarded mail counts as the customer\'s own earlier text',
    fixture: 'forward-own.eml',
    newHas: ['ficou sem resposta'],
    newLacks: ['215673018', 'Forwarded message'],
    ownHas: ['A receita da consulta de sexta nunca chegou', '215673018'],
    quoted: ['customer'],
  },
  {
    when: 'the customer forwards a pharmacy\'s mail',
    then: 'the forwarded mail does not count',
    fixture: 'forward-other.eml',
    newHas: ['vejam por favor'],
    newLacks: ['501273018', 'Rui Gomes Pacheco'],
    ownLacks: ['501273018', 'código de dispensa'],
    quoted: ['other'],
  },
  {
    when: 'a forward marker is followed by text with no header naming its author',
    then: 'the forwarded text does not count (its author is unclear)',
    fixture: 'forward-without-header.eml',
    newHas: ['Vejam abaixo.'],
    newLacks: ['247373010'],
    ownLacks: ['247373010', 'Maria Fernandes Lobo'],
    quoted: ['unknown'],
  },
  // message/rfc822 attachments
  {
    when: 'the customer attaches their own earlier mail as message/rfc822',
    then: 'the attached mail counts as the customer\'s own earlier text',
    fixture: 'rfc822-own.eml',
    newHas: ['Reenvio em anexo o meu pedido'],
    newLacks: ['215673018'],
    ownHas: ['preciso da fatura da consulta de dia 3', '215673018'],
    quoted: ['customer'],
  },
  {
    when: 'the customer attaches a newsletter as message/rfc822',
    then: 'the newsletter does not count',
    fixture: 'rfc822-newsletter.eml',
    newHas: ['não me lembro de a ter pedido'],
    newLacks: ['peça a sua fatura', '501273018'],
    ownLacks: ['peça a sua fatura', '501273018', 'Joana Lopes Ferreira'],
    quoted: ['other'],
  },
  {
    when: 'a customer quotes a block with ">" and no attribution',
    then: 'the block does not count (its author is unclear)',
    fixture: 'quote-unattributed.eml',
    newHas: ['Concordo, obrigada.'],
    newLacks: ['247373010'],
    ownLacks: ['247373010', 'Maria Fernandes Lobo'],
    quoted: ['unknown'],
  },
  {
    when: 'an HTML-only Gmail reply gives the identity above our quoted identity request',
    then: 'the customer\'s lines count and our blockquote does not',
    fixture: 'html-gmail-reply-ours.eml',
    newHas: ['Nome: Ana Sofia Martins', '215 673 018'],
    newLacks: ['NOME e NIF', 'Maria Fernandes Lobo', '247373010'],
    ownLacks: ['Maria Fernandes Lobo', '247373010'],
    quoted: ['ours'],
  },
  // Device footers and legal notices
  {
    when: 'the new text ends with "Enviado do meu iPhone"',
    then: 'the footer is cut and the words above it stay',
    fixture: 'footer-iphone.eml',
    newHas: ['a app dá erro', 'Ana Martins', 'NIF 215673018'],
    newLacks: ['Enviado do meu iPhone'],
    quoted: [],
  },
  {
    when: 'a company legal notice with its NIPC and an administrator\'s name follows the customer\'s words',
    then: 'the notice and everything under it is cut',
    fixture: 'footer-legal-notice.eml',
    newHas: ['não recebi a fatura', 'Ana Martins, NIF 215673018'],
    newLacks: ['confidenciais', '501273018', 'Rui Gomes Pacheco', 'Capital social'],
    quoted: [],
  },
  {
    when: 'an "Obter o Outlook para Android" footer is followed by another name',
    then: 'the footer and the name under it are cut',
    fixture: 'footer-outlook-mobile.eml',
    newHas: ['não consigo entrar na aplicação'],
    newLacks: ['Outlook', 'Marco Silva Teixeira'],
    quoted: [],
  },
];

describe('splitAuthorship', () => {
  it.each(rows)('when $when, then $then', async (row) => {
    const split = splitAuthorship(await load(row.fixture), row.rules ?? rules);
    for (const phrase of row.newHas ?? []) expect(split.newText).toContain(phrase);
    for (const phrase of row.newLacks ?? []) expect(split.newText).not.toContain(phrase);
    for (const phrase of row.ownHas ?? []) expect(split.ownEarlierText).toContain(phrase);
    for (const phrase of row.ownLacks ?? []) expect(split.ownEarlierText).not.toContain(phrase);
    if (row.quoted) expect(quotedAuthors(split)).toEqual(row.quoted);
  });

  it('when the same message is split twice, then the result is the same (no state kept between calls)', async () => {
    const message = await load('apple-nested.eml');
    expect(splitAuthorship(message, rules)).toEqual(splitAuthorship(message, rules));
  });

  // ---- Core behaviour found wrong: kept as skipped tests until src/core/authorship.ts is fixed. ----

  // BUG: PeopleOfMessage.roleOf matches the From display name as a substring of the attribution.
  // From "Ana <ana@example.net>"; an Outlook block "De: Mariana Lopes" (name only, common in
  // Outlook) contains "ana", so Mariana's mail, NIF 247373010 and name become the customer's
  // own words: decide() forwards as invoice with NOME "Mariana Lopes", NIF 247373010.
  it('when the From display name is a part of another person\'s name in an Outlook block ("Ana" in "Mariana Lopes"), then that block is not the customer\'s', async () => {
    const split = splitAuthorship(await load('outlook-name-only-colleague.eml'), rules);
    expect(quotedAuthors(split)).not.toContain('customer');
    expect(split.ownEarlierText).not.toContain('247373010');
  });

  // BUG: an attribution line at depth 0 re-labels every later depth-0 line ("Apple Mail keeps
  // the attribution at the depth of the text it introduces"), so a bottom-posted answer under
  // our quoted request (Thunderbird "No dia …, … escreveu:" then "> …" then the answer) is
  // attributed to us: the customer's NIF and name are lost and the answer to the identity
  // request does not complete the case.
  it('when the customer answers below our quoted request (bottom-posting), then the answer is the customer\'s', async () => {
    const split = splitAuthorship(await load('bottom-post-after-ours.eml'), rules);
    expect(split.newText).toContain('O meu NIF é 215673018.');
    expect(split.newText).toContain('Ana Martins');
    expect(split.newText).not.toContain('precisamos que nos indique');
  });

  // BUG: any line of 8+ underscores is a forward marker even when no header block follows, so a
  // plain-text signature under an underscore rule becomes "unknown": NOME and NIF are lost and
  // decide() asks for identity the customer gave.
  it('when a line of underscores separates the customer\'s own signature (no header block follows), then the signature is still the customer\'s', async () => {
    const split = splitAuthorship(await load('underscore-signature.eml'), rules);
    expect(split.newText).toContain('Ana Martins');
    expect(split.newText).toContain('NIF 215673018');
  });

  // BUG: config/authorship.yaml defines ownTemplateMarkers ("our own identity request, should it
  // come back unattributed") and config/texts.yaml says they recognise it, but no code reads
  // them: our request pasted back without ">" or an attribution is the customer's new text. Here
  // it turns an English customer's answer into language "pt" (decide()).
  it('when our identity request comes back pasted without quote marks or attribution, then it is not the customer\'s new text', async () => {
    const split = splitAuthorship(await load('our-request-pasted-unmarked.eml'), rules);
    expect(split.newText).toContain('My name is John Smith');
    expect(split.newText).not.toContain('NOME e NIF');
    expect(split.newText).not.toContain('Para podermos tratar o seu pedido');
  });
});
