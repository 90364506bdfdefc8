import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RulesSchema } from '../../../../src/config/schema';
import { findNif, findNifCandidates } from '../../../../src/core/identity/find-nif';
import { hasValidNifCheckDigit, isValidNif } from '../../../../src/core/identity/nif';

const nifRules = RulesSchema.shape.nif.parse(
  (parseYaml(readFileSync(resolve(__dirname, '../../../../config/nif.yaml'), 'utf8')) as { nif: unknown }).nif,
);

// Numbers made up for these tests (check digits computed by hand with the policy's rule).
const VALID = '284715930'; // a person's NIF: check digit holds, prefix 2
const VALID_2 = '172635489'; // another one, prefix 1
const VALID_3 = '314159266'; // prefix 3
const INVALID = '284715931'; // wrong check digit
const UNISSUED = '421876530'; // check digit holds, prefix 42 not issued
const LANDLINE_LIKE = '212345672'; // valid NIF digits that look like a Lisbon landline
const MOBILE_91 = '912345675'; // valid NIF digits (91 issued) that look like a mobile
const MOBILE_96 = '961234563'; // check digit holds, 96 not issued, a mobile
const COMPANY = '504123980'; // valid, prefix 5 (a company's NIPC)

describe('test numbers', () => {
  it('when checked, then each is what its name says', () => {
    for (const n of [VALID, VALID_2, VALID_3, LANDLINE_LIKE, MOBILE_91, COMPANY]) expect(isValidNif(n, nifRules)).toBe(true);
    expect(hasValidNifCheckDigit(INVALID)).toBe(false);
    expect(hasValidNifCheckDigit(UNISSUED)).toBe(true);
    expect(isValidNif(UNISSUED, nifRules)).toBe(false);
    expect(hasValidNifCheckDigit(MOBILE_96)).toBe(true);
  });
});

type Expected = { nif: string; valid: boolean; labelled: boolean } | null;

const spaced = (n: string): string => `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
const dotted = (n: string): string => `${n.slice(0, 3)}.${n.slice(3, 6)}.${n.slice(6)}`;
const dashed = (n: string): string => `${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`;

const labelled = (nif: string, valid = true): Expected => ({ nif, valid, labelled: true });
const unlabelled = (nif: string): Expected => ({ nif, valid: true, labelled: false });

describe('findNif', () => {
  describe('when the number is labelled as the customer NIF, then it is the NIF in every written form', () => {
    it.each<[string, Expected]>([
      [`O meu NIF é ${VALID}.`, labelled(VALID)],
      [`NIF: ${spaced(VALID)}`, labelled(VALID)],
      [`nif ${dotted(VALID)}`, labelled(VALID)],
      [`NIF - ${dashed(VALID)}`, labelled(VALID)],
      [`Contribuinte PT${VALID}`, labelled(VALID)],
      [`NIF: PT ${spaced(VALID)}`, labelled(VALID)],
      [`NIF: PT-${VALID}`, labelled(VALID)],
      [`nº de contribuinte: ${VALID}`, labelled(VALID)],
      [`Número de Contribuinte ${VALID}`, labelled(VALID)],
      [`N.º contribuinte ${dotted(VALID)}`, labelled(VALID)],
      [`numero de contribuinte e o ${VALID}`, labelled(VALID)],
      [`NUMERO DE CONTRIBUINTE:${VALID}`, labelled(VALID)],
      [`NIF/NIPC: ${VALID}`, labelled(VALID)],
      [`N.I.F. ${VALID}`, labelled(VALID)],
      [`Tax number: ${VALID}`, labelled(VALID)],
      [`My taxpayer number is ${spaced(VALID)}.`, labelled(VALID)],
      [`VAT number PT${VALID}`, labelled(VALID)],
      [`Segue o contribuinte, que é o ${VALID}, obrigado`, labelled(VALID)],
      [`NIF do meu pai: ${VALID}`, labelled(VALID)],
      [`NIF da minha mãe é o ${VALID}`, labelled(VALID)],
      [`NIF dela: ${VALID}`, labelled(VALID)],
      [`NIF da utente: ${VALID}`, labelled(VALID)],
      [`Contribuinte do beneficiário ${VALID}`, labelled(VALID)],
      [`NIF:\n${VALID}`, labelled(VALID)],
      [`Dados para a fatura\nNome: Rui Costa\nNIF: ${VALID}\nMorada: Rua do Sol, 12`, labelled(VALID)],
      [`${VALID} (NIF)`, labelled(VALID)],
      [`${VALID} é o meu contribuinte`, labelled(VALID)],
      [`nif${VALID}`, labelled(VALID)],
      [`NIF para a fatura: ${VALID}`, labelled(VALID)],
      [`Contribuinte para faturação - ${VALID}`, labelled(VALID)],
      [`NIF:${VALID}Tel:${MOBILE_91}`, labelled(VALID)],
      [`NIF:  ${VALID.slice(0, 3)}  ${VALID.slice(3, 6)}  ${VALID.slice(6)}`, labelled(VALID)],
      [`NIF ${spaced(VALID)} ${spaced(MOBILE_91)}`, labelled(VALID)],
    ])('%j', (text, expected) => {
      expect(pick(findNif(text, nifRules))).toEqual(expected);
    });
  });

  describe('when a labelled NIF fails the check digit or the prefix, then it is still the NIF, reported invalid', () => {
    it.each<[string, Expected]>([
      [`NIF ${INVALID}`, labelled(INVALID, false)],
      [`o meu contribuinte é ${spaced(INVALID)}`, labelled(INVALID, false)],
      [`NIF: ${UNISSUED}`, labelled(UNISSUED, false)],
      [`NIF: ${MOBILE_96}`, labelled(MOBILE_96, false)],
      [`NIF ${MOBILE_91}`, labelled(MOBILE_91)],
    ])('%j', (text, expected) => {
      expect(pick(findNif(text, nifRules))).toEqual(expected);
    });
  });

  describe('when the number is labelled as anything else, then it is never the NIF, even with a valid check digit', () => {
    it.each<[string]>([
      [`Telemóvel: ${spaced(MOBILE_91)}`],
      [`Tel. ${spaced(LANDLINE_LIKE)}`],
      [`Telef: ${LANDLINE_LIKE}`],
      [`Telefone ${LANDLINE_LIKE}`],
      [`tlm ${MOBILE_91}`],
      [`T. ${spaced(LANDLINE_LIKE)}`],
      [`Móvel: ${VALID}`],
      [`Contacto: ${VALID}`],
      [`podem contactar-me pelo ${VALID}`],
      [`Phone: ${VALID}`],
      [`Nº de utente: ${VALID}`],
      [`utente SNS ${VALID}`],
      [`o meu número de utente é ${VALID}`],
      [`Apólice nº ${VALID}`],
      [`a minha apólice Médis é a ${VALID}`],
      [`Cartão Médis ${spaced(VALID)}`],
      [`nº do cartão: ${VALID}`],
      [`Nº de sócio ${VALID}`],
      [`número da carteirinha: ${VALID}`],
      [`Member number: ${VALID}`],
      [`Consulta nº ${VALID}`],
      [`Referência: ${VALID}`],
      [`Ref. ${VALID}`],
      [`Fatura nº ${VALID}`],
      [`fatura-recibo ${VALID}`],
      [`Encomenda ${VALID}`],
      [`Pedido n.º ${VALID}`],
      [`Processo ${VALID}`],
      [`Protocolo: ${VALID}`],
      [`Entidade 12345 Referência ${spaced(VALID)}`],
      [`Invoice no. ${VALID}`],
      [`NIPC ${spaced(COMPANY)}`],
      [`NIF da empresa: ${COMPANY}`],
      [`contribuinte da entidade patronal ${COMPANY}`],
      [`Company VAT ${COMPANY}`],
      [`NIF do meu patrão: ${COMPANY}`],
      [`Fatura: ${VALID}`],
      [`${MOBILE_91} (telemóvel)`],
      [`${VALID} - telefone`],
    ])('%j', (text) => {
      expect(findNif(text, nifRules)).toBeNull();
    });
  });

  describe('when nine digits are written as a phone or inside a longer number, then they are not a NIF', () => {
    it.each<[string]>([
      [`+351 ${spaced(LANDLINE_LIKE)}`],
      [`(+351) ${spaced(LANDLINE_LIKE)}`],
      [`00351 ${LANDLINE_LIKE}`],
      [`+351${LANDLINE_LIKE}`],
      [`ligue para 21 234 5672`], // landline grouping
      [`CPF: ${dotted(VALID)}-07`], // Brazilian CPF, 11 digits
      [`IBAN PT50 0002 0123 1234 5678 9015 4`],
      [`IBAN: PT50000201231234567890154`],
      [`o número 1${VALID}2 está errado`],
      [`${spaced(VALID)} 123`],
      [`Valor pago: ${dotted(VALID)},00 €`],
      [`código ABC${VALID}`],
      [`https://exemplo.pt/consulta/${VALID}`],
      [`${VALID}@exemplo.pt`],
      [`+55 11 ${MOBILE_91}`], // an international number, whatever its digits
      [`Celular: +55 (11) 91234-5678`],
    ])('%j', (text) => {
      expect(findNif(text, nifRules)).toBeNull();
    });
  });

  describe("when a company's NIF is on a company line, then it is not the customer's", () => {
    it.each<[string, Expected]>([
      [`Ferragens Central, Lda. | NIF ${spaced(COMPANY)} | Rua Direita, 4`, null],
      [`Capital social 10.000 € · NIPC ${COMPANY} · Conservatória de Braga`, null],
      [`Construções Alfa, S.A. – Contribuinte ${COMPANY}`, null],
      [`Obrigado.\nPedro Gomes\nAlfa Seguros, Lda.\nTel. 253 000 000\nAlfa Seguros, Lda. NIF ${COMPANY}`, null],
      [`Trabalho na Ferragens Central, Lda. e o meu NIF é ${VALID}`, labelled(VALID)],
      [`NIF ${VALID}\nFerragens Central, Lda. | NIPC ${COMPANY}`, labelled(VALID)],
      // A company prefix in a paragraph that names a company: the employer's number in a signature.
      [`Obrigado\n\nPedro Gomes\nFerragens Central, Lda.\nNIF ${COMPANY}\n\nEnviado do telemóvel`, null],
      [`Pedro Gomes\nFerragens Central, Lda.\nNIF ${VALID}`, labelled(VALID)],
      [`Ferragens Central, Lda.\n\nPedro Gomes\nNIF ${COMPANY}`, labelled(COMPANY)],
      [`Ferragens Central, Lda.\n${COMPANY}`, null],
    ])('%j', (text, expected) => {
      expect(pick(findNif(text, nifRules))).toEqual(expected);
    });
  });

  describe('when the number is unlabelled, then it is the NIF only if valid and not a mobile nor written as a phone', () => {
    it.each<[string, Expected]>([
      [`Cumprimentos,\nSofia Ramos\n${VALID}`, unlabelled(VALID)],
      [`os meus dados: Sofia Ramos, ${spaced(VALID_3)}`, unlabelled(VALID_3)],
      [`Sofia Ramos\nPT${VALID}`, unlabelled(VALID)],
      [`Sofia Ramos\n${INVALID}`, null],
      [`Sofia Ramos\n${UNISSUED}`, null],
      [`Sofia Ramos\n${spaced(MOBILE_91)}`, null], // a mobile, though the digits would pass
      [`Sofia Ramos\n${MOBILE_96}`, null],
      [`Sofia Ramos\n21 234 5672`, null], // written as a landline
      [`Sofia Ramos\n21 234 56 72`, null],
      [`não tenho NIF, desculpem`, null],
      [`Sofia Ramos\n${spaced(MOBILE_91)} ${spaced(VALID)}`, unlabelled(VALID)],
      // A phone word ending a sentence or a prose line does not label the number after it.
      [`Aguardo o vosso contacto. Sofia Ramos ${VALID}`, unlabelled(VALID)],
      [`Aguardo o vosso contacto\n${VALID}`, unlabelled(VALID)],
      [`Contacto\n${VALID}`, null],
      [`a consulta foi a 12/11/2026 às 10h15 e paguei 14,90 €`, null],
    ])('%j', (text, expected) => {
      expect(pick(findNif(text, nifRules))).toEqual(expected);
    });
  });

  describe('when several numbers compete, then labelled wins, then a valid labelled one, then the first', () => {
    it.each<[string, Expected]>([
      [`NIF ${INVALID}\nSofia Ramos\n${VALID}`, labelled(INVALID, false)],
      [`${VALID}\nNIF: ${VALID_2}`, labelled(VALID_2)],
      [`NIF ${INVALID}, ou talvez NIF ${VALID_2}`, labelled(VALID_2)],
      [`NIF ${VALID}; NIF do meu marido ${VALID_2}`, labelled(VALID)],
      [`o nº de utente que está na receita é ${VALID_2} mas o meu é ${VALID}`, unlabelled(VALID)],
      [`Tel. ${LANDLINE_LIKE}\nNIF ${VALID}`, labelled(VALID)],
      [`NIF ${VALID} Tel. ${LANDLINE_LIKE}`, labelled(VALID)],
      [`NIF: ${VALID}\nTlm.: ${spaced(MOBILE_91)}\n(+351) ${spaced(LANDLINE_LIKE)}`, labelled(VALID)],
      [`Apólice ${VALID_2}\n${VALID_3}`, unlabelled(VALID_3)],
      [`Cartão ${VALID_2}, NIF ${VALID}`, labelled(VALID)],
      [`Para referência, o meu contribuinte é o ${spaced(VALID)}.`, labelled(VALID)],
    ])('%j', (text, expected) => {
      expect(pick(findNif(text, nifRules))).toEqual(expected);
    });
  });

  describe('evidence', () => {
    it.each<[string, string]>([
      [`Bom dia, NIF: ${spaced(VALID)}. Obrigado`, `NIF: ${spaced(VALID)}`],
      [`O meu NIF é o ${VALID}`, `NIF é o ${VALID}`],
      [`Nº de Contribuinte:\n  ${dotted(VALID)}`, `Contribuinte: ${dotted(VALID)}`],
      [`Sofia\nPT ${VALID}`, `PT ${VALID}`],
      [`Sofia\n${spaced(VALID)}`, spaced(VALID)],
    ])('when the text is %j, then the evidence is %j', (text, evidence) => {
      expect(findNif(text, nifRules)?.evidence).toBe(evidence);
    });
  });

  it('when the text is empty or has no digits, then nothing is found', () => {
    expect(findNif('', nifRules)).toBeNull();
    expect(findNif('Bom dia, preciso da receita. Obrigada', nifRules)).toBeNull();
  });

  it('when the same rules object is used again, then the result is the same (compiled once)', () => {
    const text = `NIF ${VALID}`;
    expect(findNif(text, nifRules)).toEqual(findNif(text, nifRules));
  });

  it('when a long message is searched, then it takes well under 0.2 ms on average', () => {
    const body = [
      'Bom dia,',
      'Fiz uma teleconsulta ontem às 18h30 e ainda não recebi a receita nem a fatura (paguei 15,00 €).',
      'Já tentei pela app várias vezes; o código SMS não chega ao 912 345 675.',
      `Nº de utente ${VALID_2}. Apólice ${VALID_3}.`,
      `O meu NIF é ${spaced(VALID)}.`,
      'Cumprimentos,',
      'Sofia Ramos',
      'Tlm.: +351 912 345 675',
      'Ferragens Central, Lda. | NIPC 504 123 980 | Capital social 10.000 €',
    ].join('\n');
    const text = `${body}\n${'Texto sem números. '.repeat(40)}`;
    // CPU time, best of a few batches after a warm-up: other test files share the cores.
    for (let i = 0; i < 500; i++) findNif(text, nifRules);
    const runs = 200;
    let perMessageMs = Infinity;
    for (let batch = 0; batch < 8; batch++) {
      const started = process.cpuUsage();
      for (let i = 0; i < runs; i++) findNif(text, nifRules);
      const used = process.cpuUsage(started);
      perMessageMs = Math.min(perMessageMs, (used.user + used.system) / 1000 / runs);
    }
    expect(findNif(text, nifRules)).toEqual({
      nif: VALID,
      valid: true,
      labelled: true,
      evidence: `NIF é ${spaced(VALID)}`,
    });
    expect(perMessageMs).toBeLessThan(0.2);
  });
});

describe('findNifCandidates', () => {
  it('when several numbers are present, then each is listed in text order with what was decided', () => {
    const text = [
      `Nº de utente ${VALID_2}`,
      `Tlm ${spaced(MOBILE_91)}`,
      `NIF ${INVALID}`,
      `CPF ${dotted(VALID)}-07`,
      `+351 ${spaced(LANDLINE_LIKE)}`,
      `${VALID_3}`,
      `Alfa, Lda. | NIPC ${COMPANY}`,
    ].join('\n');
    const summary = findNifCandidates(text, nifRules).map((c) => [c.digits, c.labelled, c.excluded, c.valid]);
    expect(summary).toEqual([
      [VALID_2, false, 'not-nif-label', true],
      [MOBILE_91, false, 'not-nif-label', true],
      [INVALID, true, null, false],
      [`${VALID}07`, false, 'longer-number', false],
      [LANDLINE_LIKE, false, 'phone', true],
      [VALID_3, false, null, true],
      [COMPANY, false, 'not-nif-label', true],
    ]);
  });

  it('when a candidate is listed, then its index and written form point into the original text', () => {
    const text = `Olá! Contribuinte nº ${dotted(VALID)}, obrigado`;
    const [candidate] = findNifCandidates(text, nifRules);
    expect(candidate).toBeDefined();
    expect(candidate!.written).toBe(dotted(VALID));
    expect(text.slice(candidate!.index, candidate!.index + candidate!.written.length)).toBe(dotted(VALID));
    expect(candidate!.label).toBe('Contribuinte');
  });

  it('when a number is unlabelled and invalid, then it is listed as excluded for that reason', () => {
    const reasons = findNifCandidates(`Sofia\n${INVALID}\n${spaced(MOBILE_91)}`, nifRules).map((c) => c.excluded);
    expect(reasons).toEqual(['invalid', 'mobile']);
  });
});

function pick(finding: ReturnType<typeof findNif>): Expected {
  return finding === null ? null : { nif: finding.nif, valid: finding.valid, labelled: finding.labelled };
}

describe('findNif with a disowned number', () => {
  it.each([
    ['a document shows the wrong NIF and the customer gives the right one', 'O atestado indica o NIF 186027516, que não é o meu. O NIF correto é 186027354.', '186027354'],
    ['the customer says a number is wrong before giving theirs', 'Na fatura aparece 186027516 (errado); o meu contribuinte é 186027354.', '186027354'],
    ['an English customer disowns the printed number', 'The invoice shows NIF 186027516, which is not mine. My NIF is 186027354.', '186027354'],
  ])('when %s, then the NIF is the one they own', (_when, text, nif) => {
    expect(findNif(text, nifRules)?.nif).toBe(nif);
  });
});
