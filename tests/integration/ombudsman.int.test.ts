import { Registry } from 'prom-client';
import { parseMessage } from '../../src/adapters/mime';
import { createProtocolCounter } from '../../src/adapters/protocol-counter';
import { runOmbudsman } from '../../src/cli/ombudsman';
import { buildOmbudsmanCalendar, calendarYears } from '../../src/config/holidays';
import { buildReplyAddress } from '../../src/core/reply-token';
import { createRedisCaseConsole } from '../../src/http/case-console-redis';
import type { CaseConsole } from '../../src/http/console-port';
import { createMetrics } from '../../src/http/metrics';
import { buildServer } from '../../src/http/server';
import { createLogger } from '../../src/log';
import { INBOX, OMBUDSMAN, SECRET, startPipeline, type Pipeline } from '../helpers/pipeline';
import { testMail } from '../helpers/scripted-decide';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink';
import { authConfig, TOKEN } from '../unit/http/fixtures';

/**
 * The second instance (policy §4) walked through weeks with an injected clock, on Redis and the
 * SMTP sink: protocol and deadline on arrival (after hours, across the spring DST change and Good
 * Friday), the reminder to the ombudsman team once per deadline, the complex deadline and every
 * state change told to the customer (console, API and `triage ombudsman`), overdue in the console
 * and in /metrics, and an old answer replayed on the closed case going to review.
 */
jest.setTimeout(60_000);

const TEO = 'teo@cliente.pt';
const ZE = 'ze@cliente.pt';

let sink: SmtpSink;
let pipeline: Pipeline | null = null;
let now = new Date('2026-03-27T19:00:00Z');

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
const clock = () => now;

function consoleFor(p: Pipeline): CaseConsole {
  const rules = p.app.config.rules;
  return createRedisCaseConsole({
    redis: p.app.redis,
    store: p.app.store,
    rules,
    parseMessage,
    enqueueMails: (mails, receivedAt) => p.app.queues.enqueueMails(mails, receivedAt),
    protocols: createProtocolCounter(p.app.redis, p.prefix),
    calendarFor: (t) => buildOmbudsmanCalendar(rules.ombudsman, calendarYears(t, rules.ombudsman.timezone)),
    inboxAddress: INBOX,
    fromName: 'Apoio Médico Online',
    secret: SECRET,
    logger: createLogger({ level: 'silent' }),
    now: clock,
  });
}

const noticesTo = (address: string): SinkMessage[] => sink.deliveredTo(address).filter((m) => m.header('x-triage-kind') === 'ombudsman_notice');
const reminders = (): SinkMessage[] => sink.deliveredTo(OMBUDSMAN).filter((m) => /Lembrete de prazo/.test(m.parsed.subject ?? ''));

describe('an ombudsman case over its life', () => {
  it('when a complaint arrives after hours and is worked on for weeks, then protocol, deadlines, reminders, notices and overdue all hold', async () => {
    sink.clear();
    at('2026-03-27T19:00:00Z'); // Friday 19:00 WET: after hours, the weekend of the DST change ahead
    pipeline = await startPipeline({ sink, now: clock });
    const p = pipeline;
    const cases = consoleFor(p);
    const cli = (ref: string, action: string | undefined, options: Record<string, string> = {}) => {
      const lines: string[] = [];
      return runOmbudsman(ref, action, options, {
        env: {
          REDIS_URL: p.redisUrl,
          TRIAGE_REDIS_PREFIX: p.prefix,
          TRIAGE_INBOX_ADDRESS: INBOX,
          TRIAGE_SECRET: SECRET,
          TRIAGE_OMBUDSMAN_ADDRESS: OMBUDSMAN,
          LOG_LEVEL: 'silent',
        },
        now: clock,
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
      }).then((code) => ({ code, output: lines.join('\n') }));
    };
    const server = buildServer({
      auth: await authConfig(),
      logger: createLogger({ level: 'silent' }),
      queues: [],
      cases,
      probes: {},
      metrics: createMetrics(new Registry(), { defaultMetrics: false }),
      now: clock,
    });
    const api = (method: 'GET' | 'POST', url: string, payload?: Record<string, string>) =>
      server.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload ? { payload } : {}) });
    const ingest = async (raw: Buffer) => {
      await p.app.ingest.ingest(raw, { source: 'test', receivedAt: now });
      await p.waitForIdle();
    };
    const settle = () => p.waitForIdle();

    try {
      // Arrival after hours: the clock starts Monday 30 March 08:00 (summer time); 7 business days
      // skip Good Friday (3 April): due Wednesday 8 April 17:30 Lisbon = 16:30 UTC.
      await ingest(
        testMail({
          id: '<ouv-1@cliente.pt>',
          from: 'Teo Silva <teo@cliente.pt>',
          subject: 'Reclamação formal',
          headers: { 'X-Test-Categories': 'ombudsman', 'X-Test-Nome': 'Teo Silva', 'X-Test-Nif': '123456789' },
        }),
      );
      const forward = sink.deliveredTo(OMBUDSMAN)[0]!;
      const caseId = forward.header('x-triage-case')!;
      expect(forward.header('x-triage-protocol')).toBe('OUV-2026-000001');
      const ack = sink.deliveredTo(TEO)[0]!;
      expect(ack.parsed.text).toContain('Número de protocolo: OUV-2026-000001. Estado: recebido. Prazo de resposta: até 8 de abril de 2026 às 17:30.');
      let o = (await p.app.store.getCase(caseId))!.record.ombudsman!;
      expect(o).toMatchObject({ protocol: 'OUV-2026-000001', state: 'received', receivedAt: '2026-03-27T19:00:00.000Z', deadline: '2026-04-08T16:30:00.000Z', deadlineBusinessDays: 7 });

      // A second complaint on Monday within office hours: the next number, the same deadline.
      at('2026-03-30T09:00:00Z');
      await ingest(
        testMail({ id: '<ouv-2@cliente.pt>', from: 'Zé Lopes <ze@cliente.pt>', headers: { 'X-Test-Categories': 'ombudsman', 'X-Test-Nome': 'José Lopes', 'X-Test-Nif': '123456789' } }),
      );
      const otherId = sink.deliveredTo(ZE)[0]!.header('x-triage-case')!;
      expect((await p.app.store.getCase(otherId))!.record.ombudsman).toMatchObject({ protocol: 'OUV-2026-000002', deadline: '2026-04-08T16:30:00.000Z' });

      // The reminder: 2 business days before the deadline day, from its opening (Monday 6 April 08:00), once.
      at('2026-04-06T06:59:59Z');
      expect(await p.app.workers!.sweepOmbudsman()).toEqual([]);
      at('2026-04-06T07:00:00Z');
      expect((await p.app.workers!.sweepOmbudsman()).sort()).toEqual([caseId, otherId].sort());
      expect(await p.app.workers!.sweepOmbudsman()).toEqual([]);
      at('2026-04-07T10:00:00Z');
      expect(await p.app.workers!.sweepOmbudsman()).toEqual([]);
      await settle();
      expect(reminders().map((m) => m.parsed.subject).sort()).toEqual([
        `[#${caseId}] Lembrete de prazo: OUV-2026-000001`,
        `[#${otherId}] Lembrete de prazo: OUV-2026-000002`,
      ]);
      expect(reminders()[0]!.parsed.text).toContain('termina a 8 de abril de 2026 às 17:30');
      expect(reminders()[0]!.parsed.replyTo).toBeUndefined();

      // In analysis, through the console's JSON API: the customer is told, with the deadline.
      at('2026-04-07T10:30:00Z');
      const analysis = await api('POST', `/api/cases/${caseId}/ombudsman-state`, { state: 'in_analysis' });
      expect([analysis.statusCode, analysis.json()]).toEqual([200, { state: 'in_analysis', deadline: '2026-04-08T16:30:00.000Z' }]);
      await settle();
      expect(noticesTo(TEO)).toHaveLength(1);
      expect(noticesTo(TEO)[0]!.parsed.text).toMatch(/protocolo OUV-2026-000001, mudou de estado: em análise[\s\S]*Prazo de resposta: até 8 de abril de 2026 às 17:30/);
      expect(noticesTo(TEO)[0]!.parsed.inReplyTo).toBe('<ouv-1@cliente.pt>');
      expect(noticesTo(TEO)[0]!.parsed.subject).toBe(`Re: Reclamação formal [#${caseId}]`);
      // Skipping a state is refused, and nobody is told anything.
      expect((await api('POST', `/api/cases/${caseId}/ombudsman-state`, { state: 'closed' })).statusCode).toBe(409);

      // Complex, from the command line: 30 business days from the original receipt (12 May), the customer is told.
      const complex = await cli(caseId, 'complex', { reason: 'Precisa da gravação da consulta e do parecer do diretor clínico', by: 'provedor' });
      expect(complex.code).toBe(0);
      expect(complex.output).toContain('deadline 2026-05-12T16:30:00.000Z');
      await settle();
      expect(noticesTo(TEO)).toHaveLength(2);
      expect(noticesTo(TEO)[1]!.parsed.text).toContain('O prazo de resposta foi alargado: responderemos até 12 de maio de 2026 às 17:30.');
      expect(noticesTo(TEO)[1]!.parsed.text).not.toContain('gravação');
      // The same command again: the same notice queued again, sent once.
      expect((await cli(caseId, 'complex', { reason: 'Precisa da gravação da consulta e do parecer do diretor clínico' })).output).toContain('sent once');
      await settle();
      expect(noticesTo(TEO)).toHaveLength(2);
      o = (await p.app.store.getCase(caseId))!.record.ombudsman!;
      expect(o).toMatchObject({ deadline: '2026-05-12T16:30:00.000Z', deadlineBusinessDays: 30, complex: { reason: 'Precisa da gravação da consulta e do parecer do diretor clínico' } });

      // Past the first deadline: the other case is overdue (console, case page, /metrics); the complex one is not.
      at('2026-04-08T16:30:00Z');
      expect((await cases.listOmbudsman(now)).filter((c) => c.overdue)).toEqual([]);
      at('2026-04-08T16:30:01Z');
      const listed = await cases.listOmbudsman(now);
      expect(listed.map((c) => [c.reference, c.state, c.overdue])).toEqual([
        [otherId, 'received', true],
        [caseId, 'in_analysis', false],
      ]);
      expect((await api('GET', `/cases/${otherId}`)).body).toContain('<strong class="late">overdue</strong>');
      expect((await api('GET', '/metrics')).body).toMatch(/^triage_ombudsman_overdue 1$/m);
      // An overdue case gets no reminder: it shows as overdue instead.
      expect(await p.app.workers!.sweepOmbudsman()).toEqual([]);

      // The extended deadline gets its own reminder, once (Friday 8 May 08:00, 2 business days before 12 May).
      at('2026-05-08T07:00:00Z');
      expect(await p.app.workers!.sweepOmbudsman()).toEqual([caseId]);
      expect(await p.app.workers!.sweepOmbudsman()).toEqual([]);
      await settle();
      expect(reminders().filter((m) => m.parsed.text!.includes('12 de maio de 2026'))).toHaveLength(1);

      // The ombudsman answers through the case's reply address: relayed to the customer.
      const replyTo = forward.parsed.replyTo!.value[0]!.address!;
      expect(replyTo).toBe(buildReplyAddress(INBOX, caseId, SECRET));
      const answer = (id: string) =>
        testMail({ id, from: `Provedor do Cliente <${OMBUDSMAN}>`, to: replyTo, subject: `RE: ${forward.parsed.subject}`, body: 'Após análise, a sua reclamação foi considerada procedente.' });
      at('2026-05-11T10:00:00Z');
      await ingest(answer('<provedor-1@exemplo.pt>'));
      const relays = () => sink.deliveredTo(TEO).filter((m) => /\.relay-/.test(m.parsed.messageId ?? ''));
      expect(relays()).toHaveLength(1);
      expect(relays()[0]!.parsed.text).toContain('reclamação foi considerada procedente');

      // Answered (command line), then closed (console): a notice each, the case closed.
      const answered = await cli(`[#${caseId}]`, 'answered');
      expect(answered.code).toBe(0);
      expect((await cases.changeOmbudsmanState(caseId, { state: 'closed', by: 'ana' })).ok).toBe(true);
      await settle();
      expect(noticesTo(TEO).map((m) => /mudou de estado: ([^.]+)\./.exec(m.parsed.text!)?.[1] ?? 'complex')).toEqual(['em análise', 'complex', 'respondido', 'encerrado']);
      const closed = (await p.app.store.getCase(caseId))!.record;
      expect([closed.status, closed.ombudsman!.state, closed.ombudsman!.history.map((h) => h.to)]).toEqual(['closed', 'closed', ['received', 'in_analysis', 'answered', 'closed']]);
      expect(await p.app.store.listCases('closed')).toEqual([caseId]);
      // Closing twice tells the customer once; a closed case never moves again.
      expect((await cli(caseId, 'closed')).code).toBe(0);
      expect((await cases.changeOmbudsmanState(caseId, { state: 'in_analysis', by: 'ana' })).ok).toBe(false);
      expect((await cli(caseId, 'in_analysis')).code).toBe(1);
      await settle();
      expect(noticesTo(TEO)).toHaveLength(4);

      // The old answer replayed to the closed case's reply address (new Message-ID, valid token, right sender): review.
      const before = sink.messages.length;
      at('2026-05-20T10:00:00Z');
      await ingest(answer('<provedor-1-replayed@exemplo.pt>'));
      expect(sink.messages).toHaveLength(before);
      expect(relays()).toHaveLength(1);
      const replayed = (await Promise.all((await p.app.store.listMessages('review')).map((h) => p.app.store.getMessage(h)))).find((m) => m?.messageId === '<provedor-1-replayed@exemplo.pt>');
      expect(replayed).toMatchObject({ outcome: 'review', reason: 'answer on a closed case', caseId, mails: [] });

      // Only the unanswered one is still overdue.
      expect((await api('GET', '/metrics')).body).toMatch(/^triage_ombudsman_overdue 1$/m);
      const timeline = (await cases.getCase(caseId))!.timeline.filter((e) => e.kind === 'note').map((e) => (e.kind === 'note' ? `${e.by}: ${e.text}` : ''));
      expect(timeline).toEqual([
        'service: ombudsman: deadline reminder sent (deadline 2026-04-08T16:30:00.000Z)',
        'prometheus: ombudsman: received → in_analysis',
        'provedor: ombudsman: marked complex, deadline 2026-05-12T16:30:00.000Z: Precisa da gravação da consulta e do parecer do diretor clínico',
        'service: ombudsman: deadline reminder sent (deadline 2026-05-12T16:30:00.000Z)',
        'cli: ombudsman: in_analysis → answered',
        'ana: ombudsman: answered → closed',
      ]);
    } finally {
      await server.close();
    }
  });

  it('when a complaint arrives on the Friday evening before the autumn DST change, then its deadline is 17:30 winter time on the seventh business day', async () => {
    sink.clear();
    at('2026-10-23T18:00:00Z'); // Friday 19:00 WEST, after hours; Sunday 25 October back to WET
    pipeline = await startPipeline({ sink, now: clock });
    await pipeline.app.ingest.ingest(
      testMail({ id: '<ouv-autumn@cliente.pt>', from: 'Teo Silva <teo@cliente.pt>', headers: { 'X-Test-Categories': 'ombudsman', 'X-Test-Nome': 'Teo Silva', 'X-Test-Nif': '123456789' } }),
      { source: 'test', receivedAt: now },
    );
    await pipeline.waitForIdle();
    const ack = sink.deliveredTo(TEO)[0]!;
    // Monday 26 October is day 1; Sunday 1 November (All Saints) changes nothing: Tuesday 3 November 17:30 WET.
    expect(ack.parsed.text).toContain('Prazo de resposta: até 3 de novembro de 2026 às 17:30.');
    const caseId = ack.header('x-triage-case')!;
    expect((await pipeline.app.store.getCase(caseId))!.record.ombudsman!.deadline).toBe('2026-11-03T17:30:00.000Z');
    // Reminder from Friday 30 October 08:00 WET.
    at('2026-10-30T07:59:59Z');
    expect(await pipeline.app.workers!.sweepOmbudsman()).toEqual([]);
    at('2026-10-30T08:00:00Z');
    expect(await pipeline.app.workers!.sweepOmbudsman()).toEqual([caseId]);
  });
});
