import { parseMessage } from '../../../src/adapters/mime';
import { loadRules } from '../../../src/config/load';
import { decide } from '../../../src/core/decide';
import { fold } from '../../../src/core/text';
import type { CaseState, Decision, ParsedMessage, Rules } from '../../../src/core/types';
import { loadEml } from '../../helpers/load-eml';

/**
 * decide() on whole messages (tests/fixtures/eml/core/decide/, parsed by the real mime adapter)
 * with and without what the case already knows: the action (§6), what is missing (§2), the case
 * state (§2, §7), the routes and their configured addresses (§3), the disclaimer, and the
 * confidentiality of clinical words in the reasons (§3).
 */

const rules = loadRules();
const NOW = new Date('2026-11-18T10:30:00Z');
const NIF = '215673018';

const parsed = new Map<string, Promise<ParsedMessage>>();
function load(fixture: string): Promise<ParsedMessage> {
  let message = parsed.get(fixture);
  if (!message) {
    message = parseMessage(loadEml(`core/decide/${fixture}`));
    parsed.set(fixture, message);
  }
  return message;
}

async function decideFixture(fixture: string, caseState?: CaseState, withRules: Rules = rules): Promise<Decision> {
  return decide(await load(fixture), caseState, withRules, NOW);
}

/** The fields of a decision a row states, categories in route order. */
function summary(decision: Decision) {
  return {
    action: decision.action,
    categories: decision.routes.map((r) => r.category),
    disclaimer: decision.disclaimer,
    tips: decision.tips,
    flags: decision.flags,
    identity: decision.identity,
    missing: decision.missing,
    manifestation: decision.manifestation,
    language: decision.language,
  };
}
type Summary = ReturnType<typeof summary>;

const COMPLETE = { nome: 'Ana Martins', nif: NIF, nifValid: true };
const NO_IDENTITY = { nome: null, nif: null, nifValid: null };

function caseOf(over: Partial<CaseState>): CaseState {
  return {
    reference: 'MO-2026-000321',
    identity: NO_IDENTITY,
    categories: ['invoice'],
    manifestation: null,
    language: 'pt',
    status: 'held',
    ...over,
  };
}

interface Row {
  when: string;
  then: string;
  fixture: string;
  caseState?: CaseState;
  want: Partial<Summary>;
}

const actions: Row[] = [
  {
    when: 'an out-of-office reply mentions an invoice and a NIF',
    then: 'it is suppressed: no routes, nothing missing',
    fixture: 'auto-reply.eml',
    want: { action: 'suppress', categories: [], missing: [], identity: NO_IDENTITY },
  },
  {
    when: 'a thank-you note carries a full identity',
    then: 'it goes to review with no routes and nothing missing',
    fixture: 'thanks-with-identity.eml',
    want: { action: 'review', categories: [], missing: [], identity: COMPLETE },
  },
  {
    when: 'a thank-you note has no identity',
    then: 'it goes to review and what is missing is still reported',
    fixture: 'thanks-without-identity.eml',
    want: { action: 'review', categories: [], missing: ['nome', 'nif'] },
  },
  {
    when: 'an invoice request is signed but gives only a phone number',
    then: 'the NIF is asked for and the invoice route is kept for when identity is complete',
    fixture: 'invoice-name-no-nif.eml',
    want: { action: 'ask_identity', categories: ['invoice'], missing: ['nif'], identity: { nome: 'Ana Martins', nif: null, nifValid: null } },
  },
  {
    when: 'an invoice request has NOME and a NIF written with spaces',
    then: 'it is forwarded with the NIF as 9 digits',
    fixture: 'invoice-complete.eml',
    want: { action: 'forward', categories: ['invoice'], missing: [], identity: COMPLETE },
  },
  {
    when: 'the labelled NIF fails its check digit',
    then: 'the NIF is kept, marked invalid, and reported missing',
    fixture: 'invoice-invalid-nif.eml',
    want: { action: 'ask_identity', categories: ['invoice'], missing: ['nif'], identity: { nome: 'Ana Martins', nif: '215673019', nifValid: false } },
  },
  {
    when: 'the signature is one word though the From name is full',
    then: 'NOME is missing (the From name never completes it)',
    fixture: 'documents-one-word-signature.eml',
    want: { action: 'ask_identity', categories: ['documents'], missing: ['nome'], identity: { nome: null, nif: NIF, nifValid: true } },
  },
  {
    when: 'a clinical question comes with an invoice request',
    then: 'only the clinical route remains',
    fixture: 'clinical-and-invoice.eml',
    want: { action: 'forward', categories: ['clinical'], disclaimer: false, flags: [], tips: [] },
  },
  {
    when: 'an invoice and an app error are asked for together',
    then: 'each gets its own route',
    fixture: 'invoice-and-technical.eml',
    want: { action: 'forward', categories: ['technical', 'invoice'], tips: [] },
  },
  {
    when: 'the customer was charged twice',
    then: 'the refund route carries the multiple_charges flag',
    fixture: 'refund-charged-twice.eml',
    want: { action: 'forward', categories: ['refund'], flags: ['multiple_charges'] },
  },
  {
    when: 'the customer addresses the Provedor do Cliente about a double charge',
    then: 'only the ombudsman route remains, with the manifestation and without the refund flag',
    fixture: 'ombudsman-addressed.eml',
    want: { action: 'forward', categories: ['ombudsman'], manifestation: 'reclamacao', flags: [] },
  },
  {
    when: 'an English customer asks for an invoice',
    then: 'the language is en',
    fixture: 'english-invoice.eml',
    want: { action: 'forward', categories: ['invoice'], language: 'en', identity: { nome: 'John Smith', nif: NIF, nifValid: true } },
  },
  {
    when: 'a new message states its topic only in the subject',
    then: 'the subject decides the topic',
    fixture: 'subject-states-topic.eml',
    want: { action: 'forward', categories: ['invoice'] },
  },
  {
    when: 'a reply states a topic only in its "Re:" subject',
    then: 'the old thread\'s title decides nothing',
    fixture: 'reply-subject-only.eml',
    want: { action: 'review', categories: [] },
  },
  {
    when: 'the customer forwards their own earlier request with a short new line',
    then: 'the earlier request decides the topic and supplies the identity',
    fixture: 'forward-own-earlier.eml',
    want: { action: 'forward', categories: ['documents'], missing: [], identity: COMPLETE },
  },
];

const disclaimer: Array<{ fixture: string; categories: string[]; disclaimer: boolean }> = [
  { fixture: 'policy.eml', categories: ['policy'], disclaimer: true },
  { fixture: 'policy-and-technical.eml', categories: ['policy', 'technical'], disclaimer: true },
  { fixture: 'invoice-and-technical.eml', categories: ['technical', 'invoice'], disclaimer: false },
  { fixture: 'refund-charged-twice.eml', categories: ['refund'], disclaimer: false },
  { fixture: 'clinical-and-invoice.eml', categories: ['clinical'], disclaimer: false },
];

const withCase: Row[] = [
  {
    when: 'a held case knowing NOME gets a reply with only the NIF',
    then: 'the case is released to its categories with the identity complete',
    fixture: 'reply-nif-only.eml',
    caseState: caseOf({ categories: ['invoice'], identity: { nome: 'Ana Martins', nif: null, nifValid: null } }),
    want: { action: 'forward', categories: ['invoice'], missing: [], identity: COMPLETE },
  },
  {
    when: 'a held case knowing the NIF gets a reply with only the name',
    then: 'identity accumulates and the case is released',
    fixture: 'reply-name-only.eml',
    caseState: caseOf({ categories: ['technical'], identity: { nome: null, nif: NIF, nifValid: true } }),
    want: { action: 'forward', categories: ['technical'], missing: [], identity: { nome: 'Ana Sofia Martins', nif: NIF, nifValid: true } },
  },
  {
    when: 'a held case with an invalid NIF gets a valid one',
    then: 'the valid NIF replaces it and the case is released',
    fixture: 'reply-nif-only.eml',
    caseState: caseOf({ identity: { nome: 'Ana Martins', nif: '215673019', nifValid: false } }),
    want: { action: 'forward', categories: ['invoice'], missing: [], identity: COMPLETE },
  },
  {
    when: 'a held case knowing nothing gets only the NIF',
    then: 'it stays ask_identity for NOME with the case\'s routes',
    fixture: 'reply-nif-only.eml',
    caseState: caseOf({ categories: ['documents'] }),
    want: { action: 'ask_identity', categories: ['documents'], missing: ['nome'], identity: { nome: null, nif: NIF, nifValid: true } },
  },
  {
    when: 'a case knowing a valid NIF gets a mistyped one',
    then: 'the valid NIF is kept',
    fixture: 'invoice-invalid-nif.eml',
    caseState: caseOf({ identity: { nome: null, nif: NIF, nifValid: true } }),
    want: { action: 'forward', categories: ['invoice'], missing: [], identity: COMPLETE },
  },
  {
    when: 'the answer to a held technical case also asks for an invoice',
    then: 'the new request joins the case\'s routes',
    fixture: 'reply-nif-and-invoice.eml',
    caseState: caseOf({ categories: ['technical'] }),
    want: { action: 'forward', categories: ['technical', 'invoice'], missing: [] },
  },
  {
    when: 'the answer to a held clinical case also asks for an invoice',
    then: 'clinical still goes alone',
    fixture: 'reply-nif-and-invoice.eml',
    caseState: caseOf({ categories: ['clinical'] }),
    want: { action: 'forward', categories: ['clinical'], missing: [] },
  },
  {
    when: 'a thank-you note arrives on a forwarded case with complete identity',
    then: 'it follows the case\'s routes',
    fixture: 'thanks-without-identity.eml',
    caseState: caseOf({ status: 'forwarded', categories: ['documents'], identity: COMPLETE }),
    want: { action: 'forward', categories: ['documents'], missing: [], identity: COMPLETE },
  },
  {
    when: 'a thank-you note arrives on a closed case',
    then: 'it goes to review (a closed case is not continued)',
    fixture: 'thanks-without-identity.eml',
    caseState: caseOf({ status: 'closed', categories: ['documents'], identity: COMPLETE }),
    want: { action: 'review', categories: [], missing: [] },
  },
  {
    when: 'an English customer answers a held case with only name and NIF',
    then: 'the case is released',
    fixture: 'reply-en-identity-only.eml',
    caseState: caseOf({ reference: 'MO-2026-000322', categories: ['technical'], language: 'en' }),
    want: { action: 'forward', categories: ['technical'], missing: [], identity: { nome: 'John Smith', nif: NIF, nifValid: true } },
  },
];

/** Shipped routes with other addresses, as an operator would configure them. */
const otherAddresses: Rules = {
  ...rules,
  routes: {
    ...rules.routes,
    technical: { enabled: true, to: ['apps@example.org'], cc: [] },
    invoice: { enabled: true, to: ['faturas@example.org', 'contabilidade@example.org'], cc: ['copia@example.org'] },
    ombudsman: { enabled: true, to: ['provedor@example.org'], cc: ['registo@example.org'] },
  },
};

describe('decide', () => {
  it.each(actions)('when $when, then $then', async ({ fixture, want }) => {
    expect(summary(await decideFixture(fixture))).toMatchObject(want);
  });

  it.each(withCase)('when $when, then $then', async ({ fixture, caseState, want }) => {
    expect(summary(await decideFixture(fixture, caseState))).toMatchObject(want);
  });

  it('when a held case is released, then the reasons name the case it continues', async () => {
    const decision = await decideFixture('reply-nif-only.eml', caseOf({ identity: { nome: 'Ana Martins', nif: null, nifValid: null } }));
    expect(decision.reasons).toContain('continues case MO-2026-000321 (invoice)');
  });

  it.each(disclaimer)('when the routes are $categories, then the disclaimer is $disclaimer', async ({ fixture, categories, disclaimer: want }) => {
    const decision = await decideFixture(fixture);
    expect(decision.routes.map((r) => r.category)).toEqual(categories);
    expect(decision.disclaimer).toBe(want);
  });

  it('when the booking button is missing in a policy and technical message, then the zoom tip comes with the disclaimer', async () => {
    const decision = await decideFixture('policy-and-technical.eml');
    expect({ tips: decision.tips, disclaimer: decision.disclaimer }).toEqual({ tips: ['zoom'], disclaimer: true });
  });

  it.each(['invoice-and-technical.eml', 'policy.eml', 'refund-charged-twice.eml', 'clinical-and-invoice.eml', 'ombudsman-addressed.eml', 'invoice-name-no-nif.eml'])(
    'when %s is decided with the shipped config, then each route carries its configured to and cc',
    async (fixture) => {
      const decision = await decideFixture(fixture);
      expect(decision.routes.length).toBeGreaterThan(0);
      for (const route of decision.routes) {
        expect({ to: route.to, cc: route.cc }).toEqual({ to: [...rules.routes[route.category].to], cc: [...rules.routes[route.category].cc] });
      }
    },
  );

  it('when the shipped invoice route is decided, then it goes to the policy\'s billing address with the CC', async () => {
    const decision = await decideFixture('invoice-complete.eml');
    expect(decision.routes).toEqual([{ category: 'invoice', to: ['rute.joao.externo@ageas.pt'], cc: ['clinicadigital@saude360.medis.pt'] }]);
  });

  it.each([
    ['invoice-and-technical.eml', [
      { category: 'technical', to: ['apps@example.org'], cc: [] },
      { category: 'invoice', to: ['faturas@example.org', 'contabilidade@example.org'], cc: ['copia@example.org'] },
    ]],
    ['ombudsman-addressed.eml', [{ category: 'ombudsman', to: ['provedor@example.org'], cc: ['registo@example.org'] }]],
  ] as const)('when an operator configures other addresses, then %s is routed to them', async (fixture, routes) => {
    expect((await decideFixture(fixture, undefined, otherAddresses)).routes).toEqual(routes);
  });

  it('when a message is clinical, then the reasons withhold the clinical words', async () => {
    const decision = await decideFixture('clinical-and-invoice.eml');
    expect(decision.reasons).toContain('clinical: a request about clinical content (words withheld)');
    const reasons = fold(decision.reasons.join('\n'));
    for (const word of ['amoxicilina', 'penicilina', 'alergica', 'receit', 'posso tomar', 'devo parar']) {
      expect(reasons).not.toContain(word);
    }
  });

  it('when a message is not clinical, then the reasons quote the matched words', async () => {
    const decision = await decideFixture('invoice-complete.eml');
    expect(decision.reasons.some((r) => r.startsWith('invoice: "') && fold(r).includes('fatura'))).toBe(true);
  });

  it('when a message is larger than the configured limit, then it goes to review with the reason', async () => {
    const small: Rules = { ...rules, limits: { ...rules.limits, maxMessageBytes: 100 } };
    const decision = await decideFixture('invoice-complete.eml', undefined, small);
    expect(decision.action).toBe('review');
    expect(decision.action === 'review' && decision.reviewReason).toMatch(/over the 100-byte limit/);
    expect(decision.routes).toEqual([]);
  });

  it('when the same message is decided at different times, then the decision is the same (pure)', async () => {
    const message = await load('invoice-and-technical.eml');
    expect(decide(message, undefined, rules, new Date('2030-01-01T00:00:00Z'))).toEqual(decide(message, undefined, rules, NOW));
  });

  it('when a message is decided 200 times, then each decision takes under 5 ms on average (the core needs well under 1 ms; the bound leaves room for a loaded machine)', async () => {
    const message = await load('clinical-and-invoice.eml');
    decide(message, undefined, rules, NOW);
    const runs = 200;
    const started = performance.now();
    for (let i = 0; i < runs; i++) decide(message, undefined, rules, NOW);
    // Generous bound for a loaded CI machine; the core decides in a fraction of this.
    expect((performance.now() - started) / runs).toBeLessThan(5);
  });

  // ---- Core behaviour found wrong: kept as skipped tests until src/core/decide.ts is fixed. ----

  // BUG: the clinical evidence is withheld, but the NOME evidence quotes the whole line the name
  // was found in (up to 80 characters): "chamo-me Ana Martins e sou alérgica à penicilina, mas a
  // médica receit…" ends up in the reasons (printed by `triage explain`, shown to agents).
  it('when the name is given in a sentence with clinical content, then the reasons still withhold the clinical words', async () => {
    const decision = await decideFixture('clinical-name-in-sentence.eml');
    expect(decision.routes.map((r) => r.category)).toEqual(['clinical']);
    const reasons = fold(decision.reasons.join('\n'));
    for (const word of ['amoxicilina', 'penicilina', 'alergica', 'receit', 'posso tomar']) expect(reasons).not.toContain(word);
  });

  // BUG: RouteSchema documents `enabled: false` as "turns the route off; its messages go to
  // review", but decide() never reads `enabled`: the message is forwarded to the disabled route.
  it('when a category\'s route is disabled in config, then its message goes to review', async () => {
    const disabled: Rules = { ...rules, routes: { ...rules.routes, invoice: { ...rules.routes.invoice, enabled: false } } };
    const decision = await decideFixture('invoice-complete.eml', undefined, disabled);
    expect(decision.action).toBe('review');
    expect(decision.routes).toEqual([]);
  });

  // BUG: the language is re-detected from any own text, so an English customer answering with
  // only "John Smith / 215673018" (no words of either language) gets `pt`, and the classifier
  // stores it on the case: the release acknowledgement and every later relay go out in
  // Portuguese. With no language signal the case's language should stand.
  it('when an English case gets an answer with only name and NIF, then the language stays en', async () => {
    const decision = await decideFixture('reply-en-identity-only.eml', caseOf({ categories: ['technical'], language: 'en' }));
    expect(decision.language).toBe('en');
  });
});
