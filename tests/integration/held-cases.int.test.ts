import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { testMail } from '../helpers/scripted-decide';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';

/**
 * Policy §2 over time, on Redis and the SMTP sink with an injected clock: a held case is asked for
 * identity at most once per 24 h, each customer message updates it, and a case still incomplete
 * after `limits.holdDays` (5) goes to review; the customer completing it later still releases it.
 * The walk crosses the spring DST change (Sunday 29 March 2026).
 */
jest.setTimeout(30_000);

const ASK_NOME = 'o seu nome completo (NOME)';
const ASK_NIF = 'o seu número de contribuinte (NIF)';
const DOCUMENTS = 'telemedicina@smpsaude.pt';

let sink: SmtpSink;
let pipeline: Pipeline | null = null;
let now = new Date('2026-03-27T10:00:00Z');

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

const at = (iso: string) => {
  now = new Date(iso);
};
const ingest = async (raw: Buffer) => {
  await pipeline!.app.ingest.ingest(raw, { source: 'test', receivedAt: now });
  await pipeline!.waitForIdle();
};
const requests = () => sink.deliveredTo('ana@cliente.pt').filter((m) => m.header('x-triage-kind') === 'identity_request');

describe('a held case over days', () => {
  it('when the customer answers in parts over a week, then the request is never repeated within 24 h, the case follows each answer, and goes to review after 5 days', async () => {
    sink.clear();
    at('2026-03-27T10:00:00Z');
    pipeline = await startPipeline({ sink, now: () => now });
    const store = pipeline.app.store;

    // Day 0: a request with no identity at all.
    await ingest(testMail({ id: '<h-1@cliente.pt>', subject: 'Declaração de presença', headers: { 'X-Test-Categories': 'documents' } }));
    expect(requests()).toHaveLength(1);
    const first = requests()[0]!;
    expect(first.parsed.text).toContain(ASK_NOME);
    expect(first.parsed.text).toContain(ASK_NIF);
    const caseId = first.header('x-triage-case')!;
    const held = (await store.getCase(caseId))!.record;
    expect([held.status, held.heldSince]).toEqual(['held', '2026-03-27T10:00:00.000Z']);

    // Two hours later the customer gives the name only: the case learns it, nobody is asked again.
    at('2026-03-27T12:00:00Z');
    await ingest(testMail({ id: '<h-2@cliente.pt>', inReplyTo: first.parsed.messageId!, body: 'Chamo-me Ana Sofia Martins.', headers: { 'X-Test-Nome': 'Ana Sofia Martins' } }));
    expect(requests()).toHaveLength(1);
    let record = (await store.getCase(caseId))!.record;
    expect(record.identity).toEqual({ nome: 'Ana Sofia Martins', nif: null, nifValid: null });
    expect([record.status, record.heldSince, record.held.length, record.messages.length]).toEqual(['held', '2026-03-27T10:00:00.000Z', 2, 2]);
    const skipped = (await store.events(caseId)).filter((e) => e.kind === 'mail' && e.status === 'skipped');
    expect(skipped).toEqual([expect.objectContaining({ mailKind: 'identity_request', detail: expect.stringMatching(/already went out on this case at 2026-03-27T10:00:00/) })]);

    // 23 h after the first request, still within 24 h: not asked again.
    at('2026-03-28T09:59:00Z');
    await ingest(testMail({ id: '<h-3@cliente.pt>', inReplyTo: '<h-2@cliente.pt>', body: 'Já enviei o nome.' }));
    expect(requests()).toHaveLength(1);

    // Over 24 h later (across the DST change), another message: asked again, for the NIF only.
    at('2026-03-30T08:00:00Z');
    await ingest(testMail({ id: '<h-4@cliente.pt>', inReplyTo: '<h-3@cliente.pt>', body: 'Então, e a declaração?' }));
    expect(requests()).toHaveLength(2);
    const second = requests()[1]!;
    expect(second.parsed.text).toContain(ASK_NIF);
    expect(second.parsed.text).not.toContain(ASK_NOME);
    expect(second.parsed.inReplyTo).toBe('<h-4@cliente.pt>');
    record = (await store.getCase(caseId))!.record;
    expect([record.status, record.heldSince, record.held.length]).toEqual(['held', '2026-03-27T10:00:00.000Z', 4]);

    // The hold counts from the first request, not from the latest message: review after 5 days.
    at('2026-04-01T09:59:59Z');
    expect(await pipeline.app.workers!.sweepHeld()).toEqual([]);
    at('2026-04-01T10:00:01Z');
    expect(await pipeline.app.workers!.sweepHeld()).toEqual([caseId]);
    expect(await pipeline.app.workers!.sweepHeld()).toEqual([]);
    record = (await store.getCase(caseId))!.record;
    expect([record.status, record.statusReason]).toEqual(['review', 'identity still incomplete after 5 days']);
    expect(await store.listCases('held')).toEqual([]);
    expect(await store.listCases('review')).toEqual([caseId]);
    expect(sink.messages).toHaveLength(2);

    // The customer finally sends the NIF: the case leaves review and every held message goes to the team.
    at('2026-04-02T09:00:00Z');
    await ingest(testMail({ id: '<h-5@cliente.pt>', inReplyTo: second.parsed.messageId!, body: 'NIF 123456789', headers: { 'X-Test-Nif': '123456789' } }));
    const forward = sink.deliveredTo(DOCUMENTS);
    expect(forward).toHaveLength(1);
    expect(forward[0]!.parsed.attachments).toHaveLength(5);
    expect(forward[0]!.parsed.text).toContain('NOME: Ana Sofia Martins');
    expect(sink.deliveredTo('ana@cliente.pt').filter((m) => m.header('x-triage-kind') === 'acknowledgement')).toHaveLength(1);
    record = (await store.getCase(caseId))!.record;
    expect([record.status, record.held, record.heldSince]).toEqual(['forwarded', [], null]);
  });
});
