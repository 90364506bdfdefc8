import type { DecideFn } from '../../src/workers/classifier';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { scriptedDecide, testMail } from '../helpers/scripted-decide';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';

/**
 * Policy §4, protocol numbers unique and sequential per year, with two worker instances (two
 * `startApp`s, each with its own Redis connections and 4 concurrent classify jobs) taking
 * ombudsman complaints from the same queues at once, through the real classifier path.
 */
jest.setTimeout(60_000);

const COMPLAINTS = 40;
const now = () => new Date('2026-06-15T10:00:00Z');

let sink: SmtpSink;
const pipelines: Pipeline[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  // The second instance first: the first owns the prefix and deletes its keys.
  for (const p of pipelines.reverse()) await p.stop();
  await sink.close();
});

function counting(): { decide: DecideFn; calls: () => number } {
  let n = 0;
  return {
    decide: (message, state, rules, at) => {
      n++;
      return scriptedDecide(message, state, rules, at);
    },
    calls: () => n,
  };
}

describe('protocol numbers under concurrent workers', () => {
  it('when two worker instances classify complaints at once, then every case gets its own number, 1..N without a gap, and the customer is told it', async () => {
    const a = counting();
    const b = counting();
    const first = await startPipeline({ sink, now, decide: a.decide, env: { CLASSIFY_CONCURRENCY: '4', SEND_CONCURRENCY: '4' } });
    pipelines.push(first);
    const second = await startPipeline({ sink, now, decide: b.decide, env: { CLASSIFY_CONCURRENCY: '4', SEND_CONCURRENCY: '4', TRIAGE_REDIS_PREFIX: first.prefix } });
    pipelines.push(second);

    await Promise.all(
      Array.from({ length: COMPLAINTS }, (_, i) =>
        first.app.ingest.ingest(
          testMail({
            id: `<ouv-${i}@cliente.pt>`,
            from: `Cliente ${i} <c${i}@cliente.pt>`,
            headers: { 'X-Test-Categories': 'ombudsman', 'X-Test-Nome': `Cliente Numero ${i}`, 'X-Test-Nif': '123456789' },
          }),
          { source: 'test', receivedAt: now() },
        ),
      ),
    );
    await first.waitForIdle(40_000);
    await second.waitForIdle(40_000);

    // Both instances did part of the work.
    expect(a.calls()).toBeGreaterThan(0);
    expect(b.calls()).toBeGreaterThan(0);
    expect(a.calls() + b.calls()).toBeGreaterThanOrEqual(COMPLAINTS);

    const ids = await first.app.store.listCases('forwarded', { limit: 1000 });
    expect(ids).toHaveLength(COMPLAINTS);
    const protocols = await Promise.all(ids.map(async (id) => (await first.app.store.getCase(id))!.record.ombudsman!.protocol));
    expect(new Set(protocols).size).toBe(COMPLAINTS);
    expect([...protocols].sort()).toEqual(Array.from({ length: COMPLAINTS }, (_, i) => `OUV-2026-${String(i + 1).padStart(6, '0')}`));

    // Each customer's acknowledgement carries their own case's protocol.
    for (let i = 0; i < COMPLAINTS; i++) {
      const acks = sink.deliveredTo(`c${i}@cliente.pt`);
      expect(acks).toHaveLength(1);
      const caseId = acks[0]!.header('x-triage-case')!;
      const protocol = (await first.app.store.getCase(caseId))!.record.ombudsman!.protocol;
      expect(acks[0]!.parsed.text).toContain(`Número de protocolo: ${protocol}.`);
    }
  });
});
