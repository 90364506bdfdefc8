import { createLogger, maskNifs, maskUrlCredentials } from '../../../src/log';
import { logSink } from './fixtures';

const CLINICAL_BODY = 'Tenho dores no peito desde ontem e o médico receitou Brufen 600';
const CLINICAL_SUBJECT = 'Dúvida sobre a dose de Brufen receitada';
const NIF = '123456789';
const SECRET = 'smtp-password-Zx81';

describe('createLogger', () => {
  it('when a clinical message, a NIF and secrets are logged every way a call site might, then none appears in any line', () => {
    const sink = logSink();
    const logger = createLogger({ level: 'trace' }, sink.stream);
    const message = { subject: CLINICAL_SUBJECT, text: CLINICAL_BODY, html: `<p>${CLINICAL_BODY}</p>`, from: { address: 'a@example.pt' } };
    logger.info({ msg: 'classified', caseId: 'MO-2026-000001', message });
    logger.info({ msg: 'job', jobId: 'm1', data: { mail: { subject: CLINICAL_SUBJECT, text: CLINICAL_BODY, to: ['x@example.pt'] } } });
    logger.info({ msg: 'deep', a: { b: { c: { d: { body: CLINICAL_BODY, content: CLINICAL_BODY } } } } });
    logger.info({ msg: `identity found: NIF ${NIF}`, nif: NIF, spaced: '123 456 789', prefixed: 'PT123456789' });
    logger.warn(`customer gave NIF ${NIF}`);
    logger.info({ msg: 'connect', url: `imaps://support:${SECRET}@imap.example.pt/INBOX`, password: SECRET, pass: SECRET });
    logger.info({ msg: 'request', headers: { authorization: `Bearer ${SECRET}`, cookie: `triage_session=${SECRET}` } });
    logger.info({ msg: `header was Bearer ${SECRET}` });
    logger.child({ component: 'x', subject: CLINICAL_SUBJECT }).info({ msg: 'child' });
    logger.error({ msg: 'send failed', err: Object.assign(new Error(`550 rejected for NIF ${NIF} at smtp://u:${SECRET}@h`), { code: 'EENVELOPE', responseCode: 550 }) });
    logger.info({ msg: 'raw', raw: Buffer.from(CLINICAL_BODY) });

    const output = sink.lines.join('\n');
    expect(sink.lines.length).toBe(11);
    expect(output).not.toContain(CLINICAL_BODY);
    expect(output).not.toContain('dores no peito');
    expect(output).not.toContain(CLINICAL_SUBJECT);
    expect(output).not.toMatch(/\b\d{3}[ .-]?\d{3}[ .-]?\d{3}\b/);
    expect(output).not.toContain(SECRET);
    expect(output).toContain('******789');
    expect(output).toContain('"responseCode":550');
    for (const line of sink.lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('when fields that are not content are logged, then they stay readable', () => {
    const sink = logSink();
    const logger = createLogger({}, sink.stream);
    logger.info({ msg: 'routed', caseId: 'MO-2026-000123', jobId: 'm0a1b2', queue: 'send', action: 'forward', categories: ['invoice'], attempt: 2 });
    const line = JSON.parse(sink.lines[0] as string);
    expect(line).toMatchObject({ msg: 'routed', caseId: 'MO-2026-000123', jobId: 'm0a1b2', queue: 'send', action: 'forward', categories: ['invoice'], attempt: 2 });
  });
});

describe('maskNifs', () => {
  it.each([
    ['NIF 123456789', 'NIF ******789'],
    ['123 456 789', '******789'],
    ['PT123.456.789', '******789'],
    ['caso MO-2026-000123', 'caso MO-2026-000123'],
    ['1234567890', '1234567890'],
  ])('when %j is masked, then it is %j', (input, expected) => {
    expect(maskNifs(input)).toBe(expected);
  });
});

describe('maskUrlCredentials', () => {
  it('when a URL carries a password, then only the user stays', () => {
    expect(maskUrlCredentials('smtps://user:p%40ss@smtp.example.pt:465')).toBe('smtps://user:***@smtp.example.pt:465');
  });
});
