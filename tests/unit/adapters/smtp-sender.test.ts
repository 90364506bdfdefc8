import { classifySendError, toMailOptions } from '../../../src/adapters/smtp-sender';

const smtpError = (fields: { responseCode?: number; code?: string }) => Object.assign(new Error('refused'), fields);

describe('classifySendError', () => {
  it.each([
    [450, 'transient'],
    [421, 'transient'],
    [452, 'transient'],
    [550, 'permanent'],
    [552, 'permanent'],
    [554, 'permanent'],
    [503, 'transient'],
  ] as const)('reply %i is %s', (responseCode, expected) => {
    expect(classifySendError(smtpError({ responseCode, code: 'EENVELOPE' }))).toBe(expected);
  });

  it('looks at the reply code before the error code', () => {
    expect(classifySendError(smtpError({ code: 'EAUTH', responseCode: 454 }))).toBe('transient');
    expect(classifySendError(smtpError({ code: 'ECONNECTION', responseCode: 550 }))).toBe('permanent');
  });

  it('without a reply: bad credentials and envelopes are permanent, the network is transient', () => {
    expect(classifySendError(smtpError({ code: 'EAUTH' }))).toBe('permanent');
    expect(classifySendError(smtpError({ code: 'EENVELOPE' }))).toBe('permanent');
    for (const code of ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET']) {
      expect(classifySendError(smtpError({ code }))).toBe('transient');
    }
    expect(classifySendError(new Error('something else'))).toBe('transient');
    expect(classifySendError(undefined)).toBe('transient');
  });
});

describe('toMailOptions', () => {
  it('attaches originals as message/rfc822 and keeps our headers', () => {
    const options = toMailOptions(
      {
        step: 'ack',
        kind: 'acknowledgement',
        caseId: 'MO-2026-000001',
        category: null,
        messageId: '<MO-2026-000001.ack.x@d.pt>',
        from: { name: 'Apoio', address: 'apoio@d.pt' },
        to: ['ana@cliente.pt'],
        cc: [],
        replyTo: 'apoio@d.pt',
        subject: 'Re: x',
        inReplyTo: '<m1@c.pt>',
        references: ['<m1@c.pt>'],
        headers: { 'Auto-Submitted': 'auto-replied' },
        text: 'olá',
        attachments: [],
        capAddress: 'ana@cliente.pt',
        sourceHash: 'f',
      },
      [{ filename: 'a.eml', content: Buffer.from('x') }],
    );
    expect(options.attachments).toEqual([{ filename: 'a.eml', content: Buffer.from('x'), contentType: 'message/rfc822', contentDisposition: 'attachment' }]);
    expect(options.messageId).toBe('<MO-2026-000001.ack.x@d.pt>');
    expect(options.headers['Auto-Submitted']).toBe('auto-replied');
    expect(options.cc).toBeUndefined();
  });
});
