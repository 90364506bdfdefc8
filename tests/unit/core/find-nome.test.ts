import { loadRules } from '../../../src/config/load';
import { findNome } from '../../../src/core/identity/find-nome';

/**
 * Policy §2: NOME is the customer's full name (two words at least) stated in their own words —
 * after a label, in a sentence, as the patient when someone writes on their behalf, or as the
 * signature closing the message. A one-word signature is not a NOME. Titles are not part of it;
 * role and company lines under a signature are not names.
 */

const rules = loadRules();

interface Row {
  when: string;
  text: string;
  nome: string | null;
  /** How it was found: the start of the evidence ("label", "sentence", "signature"…). */
  how?: string;
}

const found: Row[] = [
  // Labels
  { when: 'the name follows "Nome:"', text: 'Bom dia,\nNome: Joana Ribeiro Costa\nNIF: 215673018', nome: 'Joana Ribeiro Costa', how: 'label' },
  { when: 'the name follows "Nome completo:" mid-line', text: 'Seguem os dados. Nome completo: Pedro Miguel Antunes; NIF 215673018', nome: 'Pedro Miguel Antunes', how: 'label' },
  { when: 'the name follows an ALL CAPS "NOME:" label', text: 'NOME: JOANA RIBEIRO COSTA\nNIF: 215673018', nome: 'JOANA RIBEIRO COSTA', how: 'label' },
  { when: 'the name follows "Dados:"', text: 'Dados: Joana Costa, NIF 215673018', nome: 'Joana Costa', how: 'label' },
  { when: 'the name follows "Full name:"', text: 'Full name: Mary Jane Smith\nTax number: 215673018', nome: 'Mary Jane Smith', how: 'label' },
  // Sentences
  { when: 'the customer writes "chamo-me …"', text: 'Bom dia, chamo-me Joana Ribeiro Costa e preciso da fatura.', nome: 'Joana Ribeiro Costa', how: 'sentence' },
  { when: 'the customer writes "o meu nome é …"', text: 'Olá, o meu nome é Pedro Miguel Antunes, NIF 215673018.', nome: 'Pedro Miguel Antunes', how: 'sentence' },
  { when: 'the customer writes Brazilian "Meu nome é …"', text: 'Meu nome é Fernanda Lima Souza e não recebi a receita.', nome: 'Fernanda Lima Souza', how: 'sentence' },
  { when: 'the customer writes "sou o …"', text: 'Bom dia, sou o Pedro Antunes e tive consulta ontem.', nome: 'Pedro Antunes', how: 'sentence' },
  { when: 'the customer writes "sou a …"', text: 'Sou a Joana Costa, cliente Médis, e a app não abre.', nome: 'Joana Costa', how: 'sentence' },
  { when: 'the customer writes "chamo-me" in ALL CAPS with accents', text: 'CHAMO-ME JOÃO PEDRO SANTOS, TENHO UM PROBLEMA COM A APP', nome: 'JOÃO PEDRO SANTOS', how: 'sentence' },
  { when: 'the customer writes "my name is …"', text: 'Hello, my name is Mary Jane Smith and I need my invoice.', nome: 'Mary Jane Smith', how: 'sentence' },
  // On behalf of the patient: NOME is the patient's
  {
    when: 'a daughter writes "sou filha da utente …" and signs with her own name',
    text: 'Bom dia,\nsou filha da utente Maria do Carmo Alves e escrevo por causa da receita dela.\n\nObrigada,\nCláudia Alves',
    nome: 'Maria do Carmo Alves',
    how: 'written on behalf of',
  },
  {
    when: 'someone writes "escrevo em nome da minha mãe, …"',
    text: 'Escrevo em nome da minha mãe, Maria do Carmo Alves, que teve consulta ontem.\n\nCláudia Alves',
    nome: 'Maria do Carmo Alves',
    how: 'written on behalf of',
  },
  {
    when: 'someone writes "on behalf of my father, …"',
    text: 'Hello, I am writing on behalf of my father, John Edward Smith, who had a video consultation.\n\nRegards,\nMary Smith',
    nome: 'John Edward Smith',
    how: 'written on behalf of',
  },
  {
    when: 'a husband writes "sou o marido da D. …"',
    text: 'sou o marido da D. Maria Alves, ela teve consulta e não recebeu o atestado.\nJosé Alves',
    nome: 'Maria Alves',
    how: 'written on behalf of',
  },
  {
    when: 'a mother writes about her son ("Sou a mãe do …")',
    text: 'Sou a mãe do Rodrigo Silva e ele precisa da declaração para a escola.\nCarla Silva',
    nome: 'Rodrigo Silva',
    how: 'written on behalf of',
  },
  {
    when: 'someone writes "o meu pai, Sr. …"',
    text: 'Bom dia,\no meu pai, Sr. António Ferreira Gomes, teve consulta ontem.\nRui Gomes',
    nome: 'António Ferreira Gomes',
    how: 'written on behalf of',
  },
  // Next to the NIF
  { when: 'the name is on the line above the NIF', text: 'Preciso da fatura.\nJoana Ribeiro Costa\nNIF 215673018', nome: 'Joana Ribeiro Costa', how: 'beside the NIF' },
  { when: 'the name closes a sentence line followed by ", NIF …"', text: 'Preciso da fatura. Joana Ribeiro Costa, NIF 215673018', nome: 'Joana Ribeiro Costa', how: 'beside the NIF' },
  { when: 'the name is above "Contribuinte …" and a phone line', text: 'Olá\nJoana Costa\nContribuinte: 215673018\nTelemóvel 912345678', nome: 'Joana Costa', how: 'beside the NIF' },
  // Signature after a sign-off
  { when: 'the name follows "Cumprimentos," with a phone number under it', text: 'Preciso da fatura por favor.\n\nCumprimentos,\nJoana Ribeiro Costa\n912345678', nome: 'Joana Ribeiro Costa', how: 'signature' },
  { when: 'the name follows "Obrigada" with connectors in it', text: 'Preciso da fatura.\n\nObrigada,\nAna Sofia de Sá Martins', nome: 'Ana Sofia de Sá Martins', how: 'signature' },
  { when: 'the name is on the sign-off line ("Cumprimentos, Ana Martins")', text: 'Preciso da fatura.\nCumprimentos, Ana Martins', nome: 'Ana Martins', how: 'signature' },
  { when: 'a Brazilian "Att," sign-off is followed by the name and a CPF', text: 'Não recebi a receita.\n\nAtt,\nFernanda Lima Souza\nCPF 123.456.789-09', nome: 'Fernanda Lima Souza', how: 'signature' },
  { when: 'an English "Kind regards," sign-off is followed by the name', text: 'I never received the invoice.\n\nKind regards,\nMary Jane Smith', nome: 'Mary Jane Smith', how: 'signature' },
  { when: 'there is no sign-off and the message ends with a name line', text: 'Bom dia\nA app não abre.\nJoana Costa', nome: 'Joana Costa', how: 'signature' },
  { when: 'the whole message and the signature are in ALL CAPS', text: 'PRECISO DA FATURA\n\nOBRIGADO\nJOSE ANTONIO PEREIRA', nome: 'JOSE ANTONIO PEREIRA', how: 'signature' },
  { when: 'a two-word first name is the signature ("Maria João")', text: 'Preciso da receita.\nCumprimentos,\nMaria João', nome: 'Maria João', how: 'signature' },
  // Role lines under the name are not taken
  { when: 'a job title follows the name ("Técnica Superior de Contabilidade")', text: 'Preciso da fatura.\n\nObrigada\nJoana Ribeiro Costa\nTécnica Superior de Contabilidade\nEmpresa Exemplo, Lda', nome: 'Joana Ribeiro Costa', how: 'signature' },
  { when: 'a role line comes before the name under the sign-off', text: 'Preciso da fatura.\n\nCumprimentos,\nDiretora Comercial\nJoana Costa', nome: 'Joana Costa', how: 'signature' },
  // Title prefixes stripped
  { when: 'the signature starts with "Dra."', text: 'Preciso da fatura.\n\nCumprimentos,\nDra. Joana Ribeiro Costa', nome: 'Joana Ribeiro Costa', how: 'signature' },
  { when: 'the signature starts with "Sr."', text: 'Preciso da fatura.\n\nCumprimentos,\nSr. Rui Sousa', nome: 'Rui Sousa', how: 'signature' },
  { when: 'the signature starts with "D."', text: 'Preciso da fatura.\n\nCumprimentos,\nD. Maria Alves', nome: 'Maria Alves', how: 'signature' },
  { when: 'the signature starts with "Mr."', text: 'I need the invoice.\n\nBest regards,\nMr. John Smith', nome: 'John Smith', how: 'signature' },
  { when: 'a label is followed by "Eng."', text: 'Nome: Eng. Rui Manuel Sousa', nome: 'Rui Manuel Sousa', how: 'label' },
];

const notFound: Row[] = [
  { when: 'the message is empty', text: '', nome: null },
  { when: 'the signature is one word ("Joana")', text: 'Preciso da fatura.\n\nCumprimentos,\nJoana', nome: null },
  { when: 'the signature is one word and the sentence names only a first name', text: 'O meu nome é Joana.\nCumprimentos\nJoana', nome: null },
  { when: 'the signature is one word under "Obrigado"', text: 'Preciso de ajuda.\nObrigado\nJoão', nome: null },
  { when: 'a one-word signature is followed by a role line ("Gestora de Cliente")', text: 'Preciso da fatura.\n\nCumprimentos,\nJoana\nGestora de Cliente', nome: null },
  { when: 'a one-word signature is followed by a role line ("Assistente Administrativa")', text: 'Preciso da fatura.\n\nCumprimentos,\nJoana\nAssistente Administrativa', nome: null },
  { when: 'the only capitalised words are a greeting and the service\'s name', text: 'Bom Dia\nA app Médico Online não abre.\nObrigada', nome: null },
  { when: 'a sign-off is followed by a family relation ("Mãe do Rodrigo")', text: 'Preciso da declaração.\nObrigada\nMãe do Rodrigo', nome: null },
  { when: 'only a phone and the NIF close the message', text: 'Preciso da fatura.\nTelemóvel 912345678\nNIF 215673018', nome: null },
];

describe('findNome', () => {
  it.each(found)('when $when, then NOME is "$nome"', ({ text, nome, how }) => {
    const finding = findNome(text, rules.nome);
    expect(finding?.nome ?? null).toBe(nome);
    if (how) expect(finding?.evidence).toContain(how);
  });

  it.each(notFound)('when $when, then there is no NOME', ({ text }) => {
    expect(findNome(text, rules.nome)).toBeNull();
  });

  // ---- Core behaviour found wrong: kept as skipped tests until find-nome / nome.yaml are fixed. ----

  // BUG: after a one-word signature, a department or role line made of two capitalised words
  // not in notNameWords is read as the NOME ("Recursos Humanos", "Departamento Financeiro",
  // "Sócia Gerente"). The policy says a one-word signature leaves NOME missing.
  it.each([
    ['Recursos Humanos', 'Preciso da fatura.\n\nCumprimentos,\nJoana\nRecursos Humanos'],
    ['Departamento Financeiro', 'Preciso da fatura.\n\nCumprimentos,\nJoana\nDepartamento Financeiro'],
    ['Sócia Gerente', 'Preciso da fatura.\n\nCumprimentos,\nJoana\nSócia Gerente'],
  ])('when a one-word signature is followed by the role line "%s", then there is no NOME', (_role, text) => {
    expect(findNome(text, rules.nome)).toBeNull();
  });

  // BUG: common Portuguese title forms with "ª"/"º" or a second title are not stripped, and
  // the name is lost entirely (TITLES in find-nome.ts knows "dra.", "eng.", "engª", not
  // "Dr.ª", "Eng.ª", "Eng.º", "Prof. Doutor").
  it.each([
    ['Dr.ª Joana Ribeiro Costa', 'Joana Ribeiro Costa'],
    ['Eng.ª Joana Costa', 'Joana Costa'],
    ['Eng.º Rui Manuel Sousa', 'Rui Manuel Sousa'],
    ['Prof. Doutor Rui Sousa', 'Rui Sousa'],
  ])('when the signature is "%s", then the title is stripped and NOME is "%s"', (signature, nome) => {
    expect(findNome(`Preciso da fatura.\n\nCumprimentos,\n${signature}`, rules.nome)?.nome).toBe(nome);
  });

  // BUG: NAME_WORD needs a lower-case letter right after the capital, so names with an
  // apostrophe ("d'Oliveira", "O'Brien") end the name early and it is lost.
  it.each([
    ['Cumprimentos,\nAna d\'Oliveira Santos', 'Ana d\'Oliveira Santos'],
    ['My name is Mary O\'Brien-Smith.', 'Mary O\'Brien-Smith'],
  ])('when the name has an apostrophe (%j), then NOME is "%s"', (text, nome) => {
    expect(findNome(`I need the invoice.\n${text}`, rules.nome)?.nome).toBe(nome);
  });

  // BUG: in an ALL CAPS message (policy §1) the name runs on through the connector "E" into the
  // rest of the sentence: "CHAMO-ME ANA MARTINS E PRECISO DA FATURA" gives NOME
  // "ANA MARTINS E PRECISO DA FATURA" (every all-caps word of 2+ letters reads as a name word).
  it.each([
    ['CHAMO-ME ANA MARTINS E PRECISO DA FATURA DA CONSULTA', 'ANA MARTINS'],
    ['CHAMO-ME JOÃO PEDRO SANTOS E TENHO UM PROBLEMA', 'JOÃO PEDRO SANTOS'],
  ])('when an ALL CAPS sentence goes on after the name (%j), then NOME is "%s"', (text, nome) => {
    expect(findNome(text, rules.nome)?.nome).toBe(nome);
  });

  // BUG (informal writing, policy §1): a lower-case name right after an explicit label is lost;
  // "Nome completo:" leaves no doubt about what follows.
  it('when a lower-case name follows "Nome completo:", then it is the NOME', () => {
    expect(findNome('Nome completo: joana ribeiro costa\nNIF 215673018', rules.nome)?.nome).toMatch(/^joana ribeiro costa$/i);
  });
});
