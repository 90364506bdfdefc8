import { parseMessage } from '../../../src/adapters/mime';
import { loadRules } from '../../../src/config/load';
import { explainMessage, type ExplainLine } from '../../../src/explain';

/**
 * Issue "bad input never crashes the run and never loses the message": each kind of bad input
 * goes through explainMessage (what `triage explain` and the classifier run) and must come back
 * as a decision, and through parseMessage, which must still hold what the message did say.
 */

const rules = loadRules();
const ACTIONS = ['forward', 'ask_identity', 'review', 'suppress'];

function expectDecision(line: ExplainLine): void {
  expect(ACTIONS).toContain(line.action);
  expect(Array.isArray(line.routes)).toBe(true);
  expect(Array.isArray(line.reasons)).toBe(true);
  expect(() => JSON.stringify(line)).not.toThrow();
  // Decided by decide() itself, not by explainMessage's last-resort catch.
  expect(line.reasons.filter((reason) => reason.startsWith('could not be decided'))).toEqual([]);
}

const head = (lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;

/** A deterministic byte stream (xorshift32), so the junk is the same on every run. */
function junk(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function nestedMultipart(levels: number): Buffer {
  let text = head(['From: Rita Alves <rita.alves@example.pt>', 'Subject: Encaixado', 'Message-ID: <nested@example.pt>',
    'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="n0"']);
  for (let i = 0; i < levels; i++) text += `--n${i}\r\nContent-Type: multipart/mixed; boundary="n${i + 1}"\r\n\r\n`;
  text += `--n${levels}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOlá, preciso da fatura da consulta.\r\n--n${levels}--\r\n`;
  for (let i = levels - 1; i >= 0; i--) text += `--n${i}--\r\n`;
  return Buffer.from(text, 'utf8');
}

describe('explainMessage', () => {
  it('when the MIME is truncated inside an attachment, then the message is decided and its text kept', async () => {
    const full = Buffer.from(
      head(['From: Nuno Dias <nuno.dias@example.pt>', 'Subject: Comprovativo', 'Message-ID: <truncated@example.pt>',
        'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="t"']) +
        '--t\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSegue o comprovativo do pagamento.\r\n' +
        '--t\r\nContent-Type: application/pdf; name="c.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
        `${junk(3000).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n--t--\r\n`,
    );
    const raw = full.subarray(0, Math.floor(full.length * 0.6));
    const line = await explainMessage(raw, rules, 'truncated.eml');
    expectDecision(line);
    expect(line.messageId).toBe('<truncated@example.pt>');
    const message = await parseMessage(raw);
    expect(message.text).toContain('Segue o comprovativo do pagamento.');
    expect(message.attachments).toHaveLength(1);
  });

  it('when the MIME is cut inside the headers, then the message is still decided', async () => {
    const raw = Buffer.from('From: Nuno Dias <nuno.dias@example.pt>\r\nSubject: Compro');
    expectDecision(await explainMessage(raw, rules, 'cut-head.eml'));
    expect((await parseMessage(raw)).from?.address).toBe('nuno.dias@example.pt');
  });

  it('when the input is binary junk, then it is decided (review or another action), not thrown', async () => {
    const raw = junk(64 * 1024);
    expectDecision(await explainMessage(raw, rules, 'junk.eml'));
    const message = await parseMessage(raw);
    expect(typeof message.text).toBe('string');
    expect(message.size).toBe(raw.length);
  });

  it('when a 25 MB attachment is carried, then the message is decided in time and the attachment only listed', async () => {
    const attachment = junk(25 * 1024 * 1024, 7);
    const raw = Buffer.concat([
      Buffer.from(
        head(['From: Helena Cruz <helena.cruz@example.pt>', 'Subject: Exames', 'Message-ID: <big@example.pt>',
          'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="big"']) +
          '--big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSegue em anexo o exame pedido na consulta.\r\n' +
          '--big\r\nContent-Type: application/pdf; name="exame.pdf"\r\nContent-Disposition: attachment; filename="exame.pdf"\r\n' +
          'Content-Transfer-Encoding: base64\r\n\r\n',
      ),
      Buffer.from(attachment.toString('base64').replace(/.{76}/g, '$&\r\n')),
      Buffer.from('\r\n--big--\r\n'),
    ]);
    expect(raw.length).toBeLessThan(rules.limits.maxMessageBytes);
    const started = Date.now();
    const line = await explainMessage(raw, rules, 'big.eml');
    expect(Date.now() - started).toBeLessThan(15_000);
    expectDecision(line);
    expect(line.messageId).toBe('<big@example.pt>');
    const message = await parseMessage(raw);
    expect(message.text).toContain('Segue em anexo o exame pedido na consulta.');
    expect(message.attachments).toEqual([
      { filename: 'exame.pdf', contentType: 'application/pdf', size: attachment.length, isMessage: false },
    ]);
  }, 60_000);

  it('when multiparts are nested 100 levels deep, then the innermost text is found', async () => {
    const raw = nestedMultipart(100);
    const line = await explainMessage(raw, rules, 'nested.eml');
    expectDecision(line);
    expect(line.messageId).toBe('<nested@example.pt>');
    const message = await parseMessage(raw);
    expect(message.text.trim()).toBe('Olá, preciso da fatura da consulta.');
    expect(message.problems).toEqual([]);
  });

  it('when multiparts are nested past mailparser\'s limit, then the body is read as plain text, not lost', async () => {
    const raw = nestedMultipart(1500);
    expectDecision(await explainMessage(raw, rules, 'nested-deep.eml'));
    const message = await parseMessage(raw);
    expect(message.subject).toBe('Encaixado');
    expect(message.text).toContain('Olá, preciso da fatura da consulta.');
    expect(message.problems).toContain('MIME structure ignored: the body was read as plain text');
  });

  it('when the charset is unknown, then the text is read and the message decided', async () => {
    const raw = Buffer.from(
      head(['From: a@example.pt', 'Subject: =?x-klingon?Q?N=E3o_recebi?=', 'Message-ID: <charset@example.pt>',
        'Content-Type: text/plain; charset=x-klingon', 'Content-Transfer-Encoding: 8bit']) + 'Não recebi a receita.\r\n',
      'latin1',
    );
    const line = await explainMessage(raw, rules, 'charset.eml');
    expectDecision(line);
    expect(line.messageId).toBe('<charset@example.pt>');
    const message = await parseMessage(raw);
    expect(message.subject).toBe('Não recebi');
    expect(message.text).toBe('Não recebi a receita.\n');
    expect(message.problems.length).toBeGreaterThan(0);
  });

  it('when headers and body hold NUL bytes, then none reach the parsed message', async () => {
    const raw = Buffer.from(
      head(['From: Ana\u0000 Martins <ana@example.pt>', 'Subject: Fa\u0000tura', 'Message-ID: <nul@example.pt>']) +
        'Preciso da\u0000 fatura.\u0000\r\n',
    );
    expectDecision(await explainMessage(raw, rules, 'nul.eml'));
    const message = await parseMessage(raw);
    expect(message.subject).toBe('Fatura');
    expect(message.from?.name).toBe('Ana Martins');
    expect(message.text).toBe('Preciso da fatura.\n');
    expect(JSON.stringify(message)).not.toContain('\\u0000');
  });

  it('when a header carries CRLF injection, then every value stays one line and no header is added', async () => {
    const hidden = Buffer.from('Fatura\r\nBcc: intruso@example.com\r\n\r\ncorpo falso').toString('base64');
    const raw = Buffer.from(
      head(['From: Ana <ana@example.pt>', `Subject: =?utf-8?B?${hidden}?=`, 'Message-ID: <inj@example.pt>\rBcc: outro@example.com',
        'X-Note: a\rAuto-Submitted: auto-replied']) + 'Corpo verdadeiro.\r\n',
    );
    const line = await explainMessage(raw, rules, 'inject.eml');
    expectDecision(line);
    expect(line.messageId ?? '').not.toMatch(/[\r\n]/);
    const message = await parseMessage(raw);
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.subject).toContain('Fatura');
    expect(message.headers.bcc).toBeUndefined();
    for (const values of Object.values(message.headers)) for (const value of values) expect(value).not.toMatch(/[\r\n]/);
    expect(message.text).toContain('Corpo verdadeiro.');
  });

  it('when the file is empty, then it is decided with the problem noted', async () => {
    const line = await explainMessage(Buffer.alloc(0), rules, 'empty.eml');
    expectDecision(line);
    expect(line.messageId).toBeNull();
    const message = await parseMessage(Buffer.alloc(0));
    expect(message.problems).toEqual(['empty message']);
    expect(message.text).toBe('');
  });

  it('when a header is over 1 MB, then the message is decided and its identity headers kept', async () => {
    const raw = Buffer.from(
      head(['From: a@example.pt', 'Subject: Cabeçalho enorme', 'Message-ID: <huge-header@example.pt>',
        `X-Junk: ${'x'.repeat(1_200_000)}`]) + 'Texto.\r\n',
    );
    const line = await explainMessage(raw, rules, 'huge-header.eml');
    expectDecision(line);
    expect(line.messageId).toBe('<huge-header@example.pt>');
  });

  it('when the message is over the size limit, then it goes to review with the reason', async () => {
    const line = await explainMessage(Buffer.alloc(rules.limits.maxMessageBytes + 1, 0x41), rules, 'over.eml');
    expect(line.action).toBe('review');
    expect(line.reasons.join(' ')).toContain('over the');
  });
});
