import { htmlToText, MAX_HTML_CHARS } from '../../../src/adapters/html-text';
import { MAX_TEXT_CHARS, parseMessage } from '../../../src/adapters/mime';
import { loadEml } from '../../helpers/load-eml';

const eml = (lines: string[], body = ''): Buffer => Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');

describe('parseMessage', () => {
  describe('legacy charsets', () => {
    it('when an old client writes raw ISO-8859-1 bytes in the headers, then names and subject keep their accents', async () => {
      const message = await parseMessage(loadEml('mime/latin1-raw-headers.eml'));
      expect(message.subject).toBe('Fatura não recebida - consulta de terça');
      expect(message.from).toEqual({ name: 'João António Gonçalves', address: 'joao.goncalves@example.pt' });
      expect(message.text).toContain('Não recebi a fatura da consulta de terça-feira.');
      expect(message.text).toContain('O meu NIF é 123456789.');
      expect(message.problems).toEqual(['raw 8-bit header bytes read as windows-1252']);
    });

    it('when the body is Windows-1252 quoted-printable, then curly quotes and the euro sign survive', async () => {
      const message = await parseMessage(loadEml('mime/windows-1252-qp.eml'));
      expect(message.subject).toBe('Cobrança duplicada – 15€');
      expect(message.from?.name).toBe('Inês Ribeiro');
      expect(message.text).toContain('Foi-me cobrado “duas vezes” o valor de 15€ pela mesma consulta.');
      expect(message.problems).toEqual([]);
    });

    it('when the body is base64 UTF-8, then it is decoded', async () => {
      const message = await parseMessage(loadEml('mime/base64-utf8.eml'));
      expect(message.subject).toBe('Ligação caiu');
      expect(message.text).toContain('A videochamada caiu a meio da consulta e não consegui voltar a entrar.');
    });

    it.each([
      ['mime/gb2312.eml', '发票', '请发送发票。'],
      ['mime/iso-2022-jp.eml', '請求書', '請求書を送ってください。'],
      ['mime/shift-jis.eml', '請求書', '請求書を送ってください。'],
      ['mime/ks-c-5601.eml', '영수증', '영수증을 보내 주세요.'],
    ])('when the message is in %s, then subject and text are decoded', async (file, subject, text) => {
      const message = await parseMessage(loadEml(file));
      expect(message.subject).toBe(subject);
      expect(message.text.trim()).toBe(text);
      expect(message.problems).toEqual([]);
    });

    it('when the charset is unknown, then the text is still read (Latin-1 bytes as Windows-1252) and the problem noted', async () => {
      const message = await parseMessage(loadEml('mime/unknown-charset.eml'));
      expect(message.subject).toBe('Receita não chegou');
      expect(message.text).toContain('A receita não chegou ao telemóvel.');
      expect(message.problems).toEqual([
        'unknown charset "x-desconhecido" in a header: read as Windows-1252',
        'unknown charset "x-desconhecido": text read as Windows-1252',
      ]);
    });

    it('when an unknown charset holds valid UTF-8, then it is read as UTF-8', async () => {
      const message = await parseMessage(
        eml(['From: a@example.pt', 'Content-Type: text/plain; charset=x-foo', 'Content-Transfer-Encoding: 8bit'], 'Olá, não recebi.'),
      );
      expect(message.text).toBe('Olá, não recebi.');
      expect(message.problems).toEqual(['unknown charset "x-foo": text read as UTF-8']);
    });

    it('when a single-part body names no charset and is not UTF-8, then it is read as Windows-1252', async () => {
      const raw = Buffer.concat([
        Buffer.from('From: a@example.pt\r\nSubject: sem charset\r\nMIME-Version: 1.0\r\n\r\n'),
        Buffer.from('Não recebi a receita, obrigado.\r\n', 'latin1'),
      ]);
      const message = await parseMessage(raw);
      expect(message.text).toBe('Não recebi a receita, obrigado.\n');
      expect(message.problems).toEqual([
        'text is not valid UTF-8 and names no charset it could be read with: read as Windows-1252',
      ]);
    });

    it('when an encoded-word is UTF-7, then it is decoded', async () => {
      const message = await parseMessage(eml(['From: a@example.pt', 'Subject: =?utf-7?Q?Fatura_n+AOM-o_recebida?='], 'x'));
      expect(message.subject).toBe('Fatura não recebida');
    });
  });

  describe('HTML-only mail', () => {
    it('when a Gmail reply is HTML only, then the attribution line stays whole and the quote is prefixed with "> "', async () => {
      const message = await parseMessage(loadEml('mime/html-only-gmail-reply.eml'));
      expect(message.textFromHtml).toBe(true);
      const lines = message.text.split('\n');
      expect(lines).toContain('Nome: Marta Isabel Fonseca');
      expect(lines).toContain('NIF: 123 456 789');
      expect(lines).toContain(
        'Em seg., 16 de nov. de 2026 às 11:27, Suporte Teleconsulta <suporte.teleconsulta@example.org> escreveu:',
      );
      expect(lines).toContain('> Para podermos tratar do seu pedido, indique o seu NOME completo e o seu NIF.');
      expect(lines).toContain('> Equipa de Suporte');
      expect(message.text).not.toContain('mailto:');
    });

    it('when an Outlook reply is HTML only, then each De:/Enviado:/Para:/Assunto: header is its own line', async () => {
      const message = await parseMessage(loadEml('mime/html-only-outlook-reply.eml'));
      expect(message.textFromHtml).toBe(true);
      expect(message.text).toContain(
        [
          'De: Suporte Teleconsulta <suporte.teleconsulta@example.org>',
          'Enviado: segunda-feira, 16 de novembro de 2026 11:27',
          'Para: Pedro Sousa <pedro.sousa@example.com>',
          'Assunto: RE: Marcação',
        ].join('\n'),
      );
      expect(message.text).toContain('Continuo sem conseguir marcar a consulta na aplicação.\nPedro Miguel Sousa');
    });

    it('when plain and HTML parts follow each other in multipart/mixed, then both are kept', async () => {
      const message = await parseMessage(loadEml('mime/mixed-text-and-html.eml'));
      expect(message.text).toBe('Primeira parte: preciso da receita.\n\nSegunda parte: a aplicação dá erro.');
    });

    it('when the message has a plain alternative, then the plain text is used', async () => {
      const message = await parseMessage(
        eml(
          ['From: a@example.pt', 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="b"'],
          '--b\r\nContent-Type: text/plain\r\n\r\nTexto simples.\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Texto <b>HTML</b>.</p>\r\n--b--\r\n',
        ),
      );
      expect(message.textFromHtml).toBe(false);
      expect(message.text.trim()).toBe('Texto simples.');
    });
  });

  describe('attachments and attached messages', () => {
    it('when a message is forwarded as an attachment, then it is parsed one level into embedded and the inline forward stays in text', async () => {
      const message = await parseMessage(loadEml('mime/forward-as-attachment.eml'));
      expect(message.embedded).toEqual([
        {
          from: { name: 'Ana Martins', address: 'ana.martins@example.pt' },
          subject: 'Fatura da consulta',
          date: '2026-11-16T08:00:00.000Z',
          text: 'Preciso da fatura da consulta de dia 12.\nAna Martins\n',
        },
      ]);
      expect(message.text).toContain('---------- Forwarded message ---------\nDe: Ana Martins <ana.martins@example.pt>');
      expect(message.text).toContain('Pedido anterior escrito no corpo.');
      expect(message.attachments).toEqual([
        { filename: 'pedido.eml', contentType: 'message/rfc822', size: 346, isMessage: true },
        { filename: 'comprovativo.pdf', contentType: 'application/pdf', size: 3016, isMessage: false },
      ]);
      expect(message.partTypes).toEqual(expect.arrayContaining(['multipart/mixed', 'message/rfc822', 'application/pdf']));
    });

    it('when a multipart message has no boundary lines, then its body is read as text rather than lost', async () => {
      const message = await parseMessage(loadEml('mime/missing-boundary.eml'));
      expect(message.text).toBe('Preciso que corrijam o nome no atestado.\nLuisa Pinto');
      expect(message.problems).toEqual(['multipart body has no parts: read as plain text']);
    });

    it('when a boundary parameter lost its indentation, then the parts are still found', async () => {
      const message = await parseMessage(loadEml('mime/unfolded-boundary.eml'));
      expect(message.text.trim()).toBe('A consulta foi cancelada e cobraram na mesma.');
      expect(message.problems).toEqual(['header lines without a name joined to the header above']);
    });
  });

  describe('headers', () => {
    it('when the headers are ordinary, then ids, addresses, date and raw header lines are mapped', async () => {
      const message = await parseMessage(loadEml('mime/html-only-gmail-reply.eml'));
      expect(message.messageId).toBe('<html-gmail-reply@example.com>');
      expect(message.inReplyTo).toBe('<request-1@example.org>');
      expect(message.references).toEqual(['<case-1@example.org>', '<request-1@example.org>']);
      expect(message.to).toEqual([{ name: '', address: 'suporte.teleconsulta@example.org' }]);
      expect(message.date).toBe('2026-11-17T15:02:00.000Z');
      expect(message.headers['message-id']).toEqual(['<html-gmail-reply@example.com>']);
      expect(message.contentType).toBe('multipart/alternative');
      expect(message.reportType).toBeNull();
    });

    it('when a decoded subject hides CR/LF (header injection), then it comes out as one line and adds no header', async () => {
      const hidden = Buffer.from('Olá\r\nBcc: intruso@example.com').toString('base64');
      const message = await parseMessage(eml(['From: a@example.pt', `Subject: =?utf-8?B?${hidden}?=`], 'x'));
      expect(message.subject).toBe('Olá Bcc: intruso@example.com');
      expect(message.headers.bcc).toBeUndefined();
    });

    it('when the body is a multipart/report, then its report type is given', async () => {
      const message = await parseMessage(
        eml(
          ['From: MAILER-DAEMON@example.org', 'Content-Type: multipart/report; report-type=delivery-status; boundary="r"'],
          '--r\r\nContent-Type: text/plain\r\n\r\nFalhou.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--r--\r\n',
        ),
      );
      expect(message.reportType).toBe('delivery-status');
      expect(message.partTypes).toEqual(expect.arrayContaining(['multipart/report', 'message/delivery-status']));
    });
  });

  describe('limits', () => {
    it('when the text is longer than MAX_TEXT_CHARS, then it is cut and the problem noted', async () => {
      const message = await parseMessage(eml(['From: a@example.pt'], 'a'.repeat(MAX_TEXT_CHARS + 10)));
      expect(message.text).toHaveLength(MAX_TEXT_CHARS);
      expect(message.problems).toEqual([`text of ${MAX_TEXT_CHARS + 10} characters cut to ${MAX_TEXT_CHARS}`]);
    });

    it('when a header is over mailparser\'s 1 MB limit, then the message is parsed with the header cut down', async () => {
      const message = await parseMessage(
        eml(['From: a@example.pt', 'Subject: grande', 'Message-ID: <grande@example.pt>', `X-Big: ${'a'.repeat(1_100_000)}`], 'Texto.'),
      );
      expect(message.subject).toBe('grande');
      expect(message.messageId).toBe('<grande@example.pt>');
      expect(message.text).toBe('Texto.');
      expect(message.problems).toEqual([
        'MIME parse failed: EMAXLEN: Max header size for a MIME node exceeded',
        'header block cut down to be parsed',
      ]);
    });
  });
});

describe('htmlToText', () => {
  it('when lines are long, then they are not wrapped', () => {
    const line = `Em ${'muito '.repeat(30)}escreveu:`;
    expect(htmlToText(`<div>${line}</div>`).text).toBe(line);
  });

  it('when quotes are nested, then each level adds "> "', () => {
    expect(htmlToText('<p>Novo</p><blockquote>Um<blockquote>Dois</blockquote></blockquote>').text).toBe(
      'Novo\n\n> Um\n>\n> > Dois',
    );
  });

  it('when a link or an image has a target, then only the words are kept', () => {
    expect(htmlToText('<p><a href="https://t.example.com/c/123456789">clique aqui</a><img src="x.png" alt="logo"></p>').text).toBe(
      'clique aqui',
    );
  });

  it('when a table holds label and value cells, then they share a line', () => {
    expect(htmlToText('<table><tr><td>Nome:</td><td>Ana Martins</td></tr><tr><th>NIF</th><td>123456789</td></tr></table>').text).toBe(
      'Nome: Ana Martins\nNIF 123456789',
    );
  });

  it('when headings are used, then their case is kept', () => {
    expect(htmlToText('<h1>Fatura em falta</h1>').text).toBe('Fatura em falta');
  });

  it('when the HTML is longer than MAX_HTML_CHARS, then only its start is converted', () => {
    const result = htmlToText(`<p>Início</p><p>${'x'.repeat(MAX_HTML_CHARS)}</p>`);
    expect(result.truncated).toBe(true);
    expect(result.text.startsWith('Início')).toBe(true);
  });

  it('when elements nest deeper than the converter goes, then the words are still read', () => {
    const html = `${'<div>'.repeat(5000)}Olá, preciso da fatura.${'</div>'.repeat(5000)}<p>Ana Martins</p>`;
    expect(htmlToText(html).text).toBe('Olá, preciso da fatura.\n\nAna Martins');
  });

  it('when tags are never closed (hostile input), then it returns at once', () => {
    const started = Date.now();
    htmlToText('<a'.repeat(200_000));
    htmlToText(`${'<span>'.repeat(100_000)}x`);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
