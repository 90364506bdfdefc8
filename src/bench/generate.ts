/**
 * Messages for the benchmark, made in memory and the same on every run (seeded): what the support
 * inbox receives, in Portuguese. Plain text in UTF-8, ISO-8859-1 and Windows-1252 (8bit and
 * quoted-printable, some with raw 8-bit headers), quoted replies, HTML-only mail from phones,
 * Outlook text+HTML alternatives, attachments, forwards as attachments, bounces, auto-replies and
 * a few CJK charsets. Sizes are spread log-uniformly from 1 KB to about 200 KB.
 */

export type MessageKind =
  | 'plain-utf8'
  | 'plain-latin1'
  | 'windows-1252-qp'
  | 'quoted-reply'
  | 'html-only'
  | 'alternative'
  | 'attachments'
  | 'forward-attached'
  | 'bounce'
  | 'auto-reply'
  | 'cjk';

export interface BenchMessage {
  kind: MessageKind;
  raw: Buffer;
}

export interface GenerateOptions {
  count: number;
  seed?: number;
  minBytes?: number;
  maxBytes?: number;
}

/** Share of each kind, roughly as the inbox sees them. */
export const KIND_WEIGHTS: ReadonlyArray<readonly [MessageKind, number]> = [
  ['plain-utf8', 18],
  ['plain-latin1', 8],
  ['windows-1252-qp', 6],
  ['quoted-reply', 12],
  ['html-only', 12],
  ['alternative', 14],
  ['attachments', 14],
  ['forward-attached', 4],
  ['bounce', 5],
  ['auto-reply', 3],
  ['cjk', 4],
];

export function generateMessages(options: GenerateOptions): BenchMessage[] {
  const random = seededRandom(options.seed ?? 20261118);
  const minBytes = options.minBytes ?? 1024;
  const maxBytes = options.maxBytes ?? 200 * 1024;
  const total = KIND_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  const out: BenchMessage[] = [];
  for (let n = 0; n < options.count; n++) {
    let pick = random() * total;
    let kind: MessageKind = KIND_WEIGHTS[0]![0];
    for (const [candidate, weight] of KIND_WEIGHTS) {
      pick -= weight;
      if (pick < 0) {
        kind = candidate;
        break;
      }
    }
    const size = Math.round(minBytes * Math.pow(maxBytes / minBytes, random()));
    let raw = buildMessage(kind, n, size, random);
    // The smallest kinds can come out under the floor: ask again for the missing bytes.
    for (let extra = minBytes - raw.length; extra > 0; extra = minBytes - raw.length) raw = buildMessage(kind, n, size + extra + 64, random);
    out.push({ kind, raw });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

type Random = () => number;

/** mulberry32: small, fast, good enough to vary test data. */
function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const FIRST = ['Ana', 'João', 'Maria', 'Inês', 'Pedro', 'Conceição', 'Luís', 'Sofia', 'António', 'Beatriz', 'Gonçalo', 'Márcia'];
const LAST = ['Martins', 'Gonçalves', 'Fonseca', 'Simões', 'Araújo', 'Ribeiro', 'Lopes', 'Magalhães', 'Brandão', 'Sousa'];
const REQUESTS = [
  'Preciso da fatura da teleconsulta de ontem, com o meu NIF, para apresentar no IRS.',
  'A receita que o médico passou não chegou por SMS nem por email. Podem reenviar?',
  'O atestado veio com o nome errado, falta o apelido. Podem corrigir?',
  'A aplicação dá erro ao entrar na sala de espera e a videochamada não arranca.',
  'Fui cobrada duas vezes pela mesma consulta, que ainda por cima foi cancelada.',
  'Queria saber qual é o valor a meu cargo na consulta com a apólice que tenho.',
  'Não consigo marcar a consulta, o botão de marcação não aparece no telemóvel.',
  'Preciso da declaração de presença para entregar no trabalho.',
  'Gostaria de apresentar uma reclamação formal, já enviei três emails sem resposta.',
  'A consulta caiu a meio e não consegui voltar a entrar, o médico não me ligou.',
];
const FILLER = [
  'Agradeço desde já a vossa atenção e fico a aguardar uma resposta breve.',
  'Já tentei pelo telefone mas a chamada cai sempre ao fim de alguns minutos de espera.',
  'Envio em anexo o comprovativo do pagamento feito pelo MB Way na semana passada.',
  'A consulta foi no dia 12 às 15h30, com a Dra. Carolina, por videochamada na aplicação.',
  'Esta mensagem e quaisquer anexos são confidenciais e destinam-se apenas ao destinatário indicado.',
  'Se recebeu esta mensagem por engano, por favor apague-a e informe o remetente.',
];

function person(random: Random): { name: string; address: string } {
  const first = pick(random, FIRST);
  const last = pick(random, LAST);
  const local = `${first}.${last}`
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '');
  return { name: `${first} ${last}`, address: `${local}@${pick(random, ['gmail.com', 'sapo.pt', 'hotmail.com', 'outlook.pt', 'icloud.com'])}` };
}

/** A 9-digit number whose NIF check digit holds (policy §2), first digit 1-3. */
function nif(random: Random): string {
  const digits = [1 + Math.floor(random() * 3)];
  for (let i = 0; i < 7; i++) digits.push(Math.floor(random() * 10));
  const sum = digits.reduce((acc, digit, i) => acc + digit * (9 - i), 0);
  const rest = sum % 11;
  digits.push(rest < 2 ? 0 : 11 - rest);
  return digits.join('');
}

interface Context {
  n: number;
  size: number;
  random: Random;
  from: { name: string; address: string };
}

function headerLines(ctx: Context, extra: string[] = [], subject = pick(ctx.random, ['Fatura', 'Receita', 'Pedido de ajuda', 'Consulta', 'Reembolso'])): string[] {
  const day = 1 + (ctx.n % 28);
  return [
    'Return-Path: <' + ctx.from.address + '>',
    `Received: from mail.example.net (mail.example.net [192.0.2.${ctx.n % 250}]) by mx.example.org with ESMTPS; ${day} Nov 2026 10:00:00 +0000`,
    `From: ${encodeWord(ctx.from.name)} <${ctx.from.address}>`,
    'To: Suporte Teleconsulta <suporte.teleconsulta@example.org>',
    `Subject: ${encodeWord(`${subject} ${ctx.n}`)}`,
    `Date: Mon, ${String(day).padStart(2, '0')} Nov 2026 10:${String(ctx.n % 60).padStart(2, '0')}:00 +0000`,
    `Message-ID: <bench-${ctx.n}@${ctx.from.address.split('@')[1]}>`,
    'MIME-Version: 1.0',
    ...extra,
  ];
}

function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function customerText(ctx: Context, target: number): string {
  const lines = ['Bom dia,', '', pick(ctx.random, REQUESTS), ''];
  let length = lines.join('\n').length;
  while (length < target) {
    const line = pick(ctx.random, FILLER);
    lines.push(line);
    length += line.length + 1;
  }
  lines.push('', 'Cumprimentos,', ctx.from.name, `NIF ${nif(ctx.random)}`, `Tel. 91${Math.floor(ctx.random() * 1e7)}`);
  return lines.join('\n');
}

function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** Header block and body parts as CRLF bytes (strings as UTF-8, Buffers as they are). */
function message(head: string[], ...body: Array<string | Buffer>): Buffer {
  const top = Buffer.from(crlf(`${head.join('\n')}\n\n`), 'latin1');
  return Buffer.concat([top, ...body.map((part) => (typeof part === 'string' ? Buffer.from(crlf(part), 'utf8') : part))]);
}

/** Quoted-printable (RFC 2045) with CRLF line ends, written straight into a byte buffer. */
function quotedPrintable(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length * 3 + Math.ceil(bytes.length / 25) * 3 + 3);
  let at = 0;
  let column = 0;
  const hex = '0123456789ABCDEF';
  for (const byte of bytes) {
    if (byte === 0x0d) continue;
    if (byte === 0x0a) {
      out[at++] = 0x0d;
      out[at++] = 0x0a;
      column = 0;
      continue;
    }
    const plain = (byte >= 33 && byte <= 126 && byte !== 61) || byte === 32;
    const width = plain ? 1 : 3;
    if (column + width > 75) {
      out[at++] = 0x3d;
      out[at++] = 0x0d;
      out[at++] = 0x0a;
      column = 0;
    }
    if (plain) out[at++] = byte;
    else {
      out[at++] = 0x3d;
      out[at++] = hex.charCodeAt(byte >> 4);
      out[at++] = hex.charCodeAt(byte & 15);
    }
    column += width;
  }
  return out.subarray(0, at);
}

/** Base64 in 76-character CRLF lines, as bytes. */
function base64Lines(bytes: Buffer): Buffer {
  const text = bytes.toString('base64');
  const out = Buffer.alloc(text.length + Math.ceil(text.length / 76) * 2);
  let at = 0;
  for (let i = 0; i < text.length; i += 76) {
    at += out.write(text.slice(i, i + 76), at, 'latin1');
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}

/** Pseudo-random bytes (a PDF or JPEG stand-in) of a given length. */
function blob(ctx: Context, length: number): Buffer {
  const out = Buffer.alloc(Math.max(0, length));
  let x = (ctx.n * 2654435761) >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Windows-1252 bytes: Latin-1 plus the typographic marks Portuguese mail carries. */
function windows1252(text: string): Buffer {
  const extra: Record<string, number> = { '€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '–': 0x96, '—': 0x97 };
  return Buffer.from(Array.from(text, (c) => extra[c] ?? (c.charCodeAt(0) <= 0xff ? c.charCodeAt(0) : 0x3f)));
}

function quoteBlock(ctx: Context, target: number): string {
  const lines = ['Para podermos tratar do seu pedido, indique o seu NOME completo e o seu NIF.', '', 'Com os melhores cumprimentos,', 'Equipa de Suporte'];
  const out: string[] = [];
  let length = 0;
  while (length < target) {
    const filler = pick(ctx.random, FILLER);
    out.push(...lines, '', filler, '');
    length += lines.join('\n').length + filler.length + 4;
  }
  return out.join('\n');
}

function htmlBody(ctx: Context, target: number): string {
  const own = customerText(ctx, Math.min(target / 3, 2000))
    .split('\n')
    .map((line) => (line ? `<div dir="ltr" style="font-family:Arial,sans-serif;font-size:13px">${escapeHtml(line)}</div>` : '<div><br></div>'))
    .join('\n');
  const quote = quoteBlock(ctx, Math.max(200, target / 3))
    .split('\n')
    .map((line) => (line ? `<div>${escapeHtml(line)}</div>` : '<div><br></div>'))
    .join('\n');
  let html =
    `<html><head><meta charset="utf-8"><style>p{margin:0}</style></head><body>${own}` +
    `<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">Em seg., 16 de nov. de 2026 às 11:27, Suporte Teleconsulta ` +
    `&lt;<a href="mailto:suporte.teleconsulta@example.org">suporte.teleconsulta@example.org</a>&gt; escreveu:<br></div>` +
    `<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">${quote}</blockquote></div>`;
  const footer: string[] = [];
  let length = html.length;
  while (length < target) {
    const paragraph = `<p class="MsoNormal"><span style="font-size:9pt;color:#777777">${escapeHtml(pick(ctx.random, FILLER))}</span></p>\n`;
    footer.push(paragraph);
    length += paragraph.length;
  }
  return `${html}${footer.join('')}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const CJK: ReadonlyArray<readonly [string, string]> = [
  ['GB2312', 'c7ebb7a2cbcdb7a2c6b1a3acd0bbd0bba1a3'],
  ['ISO-2022-JP', '1b2442404135613d712472417724432446242f24402435242421231b2842'],
  ['Shift_JIS', '90bf8b818f9182f0919782c182c482ad82be82b382a28142'],
];

function buildMessage(kind: MessageKind, n: number, size: number, random: Random): Buffer {
  const ctx: Context = { n, size, random, from: person(random) };
  const boundary = `----=_Part_${n}_${Math.floor(random() * 1e9)}`;
  switch (kind) {
    case 'plain-utf8': {
      const qp = random() < 0.5;
      const text = customerText(ctx, size - 700);
      return message(
        headerLines(ctx, ['Content-Type: text/plain; charset=utf-8', `Content-Transfer-Encoding: ${qp ? 'quoted-printable' : '8bit'}`]),
        qp ? quotedPrintable(Buffer.from(text, 'utf8')) : text,
      );
    }
    case 'plain-latin1': {
      // Old webmail: raw ISO-8859-1 bytes in the headers too.
      const head = headerLines(ctx, ['Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit'], 'Fatura não recebida');
      head[2] = `From: ${ctx.from.name} <${ctx.from.address}>`;
      head[4] = `Subject: Fatura não recebida ${n}`;
      return Buffer.concat([Buffer.from(crlf(`${head.join('\n')}\n\n`), 'latin1'), Buffer.from(crlf(customerText(ctx, size - 700)), 'latin1')]);
    }
    case 'windows-1252-qp': {
      const text = `${customerText(ctx, size - 800)}\n\n“Obrigado” – o valor era de 15€…`;
      return message(
        headerLines(ctx, ['Content-Type: text/plain; charset=windows-1252', 'Content-Transfer-Encoding: quoted-printable']),
        quotedPrintable(windows1252(crlf(text))),
      );
    }
    case 'quoted-reply': {
      const own = customerText(ctx, Math.min(1500, size / 3));
      const quoted = quoteBlock(ctx, size - own.length - 900)
        .split('\n')
        .map((line) => `> ${line}`)
        .join('\n');
      const text = `${own}\n\nEm seg., 16/11/2026 às 11:27, Suporte Teleconsulta <suporte.teleconsulta@example.org> escreveu:\n${quoted}\n`;
      return message(
        headerLines(ctx, ['In-Reply-To: <request-' + n + '@example.org>', 'Content-Type: text/plain; charset=utf-8; format=flowed', 'Content-Transfer-Encoding: 8bit'], 'Re: Pedido de identificação'),
        text,
      );
    }
    case 'html-only': {
      const html = htmlBody(ctx, Math.min(size - 900, 120_000));
      return message(
        headerLines(ctx, ['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable']),
        quotedPrintable(Buffer.from(html, 'utf8')),
      );
    }
    case 'alternative': {
      const text = customerText(ctx, Math.min(3000, size / 4));
      const outlook = `${text}\n\nDe: Suporte Teleconsulta <suporte.teleconsulta@example.org>\nEnviado: segunda-feira, 16 de novembro de 2026 11:27\nPara: ${ctx.from.name} <${ctx.from.address}>\nAssunto: RE: Consulta\n\n${quoteBlock(ctx, 400)}`;
      const html = htmlBody(ctx, Math.max(1000, size - outlook.length - 1200));
      return message(
        headerLines(ctx, [`Content-Type: multipart/alternative; boundary="${boundary}"`]),
        `--${boundary}\nContent-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n`,
        quotedPrintable(Buffer.from(outlook, 'utf8')),
        `\n--${boundary}\nContent-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n`,
        quotedPrintable(Buffer.from(html, 'utf8')),
        `\n--${boundary}--\n`,
      );
    }
    case 'attachments': {
      const text = customerText(ctx, 600);
      const name = pick(random, ['comprovativo.pdf', 'fatura.pdf', 'exame.jpg', 'receita.png']);
      const type = name.endsWith('.pdf') ? 'application/pdf' : name.endsWith('.jpg') ? 'image/jpeg' : 'image/png';
      const attachment = blob(ctx, Math.floor(((size - 1500) * 3) / 4));
      return message(
        headerLines(ctx, [`Content-Type: multipart/mixed; boundary="${boundary}"`]),
        `--${boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${text}\n` +
          `--${boundary}\nContent-Type: ${type}; name="${name}"\nContent-Disposition: attachment; filename="${name}"\nContent-Transfer-Encoding: base64\n\n`,
        base64Lines(attachment),
        `\n--${boundary}--\n`,
      );
    }
    case 'forward-attached': {
      const inner = `From: ${ctx.from.name} <${ctx.from.address}>\nTo: suporte.teleconsulta@example.org\nSubject: Pedido anterior\nDate: Mon, 09 Nov 2026 10:00:00 +0000\nMessage-ID: <earlier-${n}@example.net>\nContent-Type: text/plain; charset=utf-8\n\n${customerText(ctx, Math.max(200, size - 1800))}\n`;
      return message(
        headerLines(ctx, [`Content-Type: multipart/mixed; boundary="${boundary}"`], 'Fwd: Pedido anterior'),
        `--${boundary}\nContent-Type: text/plain; charset=utf-8\n\nReenvio o pedido abaixo, continuo sem resposta.\n${ctx.from.name}\n` +
          `--${boundary}\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename="pedido.eml"\n\n${inner}\n--${boundary}--\n`,
      );
    }
    case 'bounce': {
      const original = `From: Suporte Teleconsulta <suporte.teleconsulta@example.org>\nTo: ${ctx.from.address}\nSubject: Pedido de identificação\nMessage-ID: <request-${n}@example.org>\n\n${quoteBlock(ctx, Math.max(200, size - 2000))}\n`;
      const head = headerLines(ctx, [`Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`, 'Auto-Submitted: auto-replied'], 'Undelivered Mail Returned to Sender');
      head[2] = 'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)';
      return message(
        head,
        `--${boundary}\nContent-Type: text/plain; charset=us-ascii\n\nThis is the mail system at host mx.example.net.\nI'm sorry to have to inform you that your message could not be delivered.\n\n<${ctx.from.address}>: host mx said: 550 5.1.1 User unknown\n` +
          `--${boundary}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; ${ctx.from.address}\nAction: failed\nStatus: 5.1.1\n` +
          `--${boundary}\nContent-Type: message/rfc822\n\n${original}\n--${boundary}--\n`,
      );
    }
    case 'auto-reply':
      return message(
        headerLines(ctx, ['Auto-Submitted: auto-replied', 'X-Autoreply: yes', 'Content-Type: text/plain; charset=utf-8'], 'Resposta automática: Fatura'),
        `Esta é uma resposta automática. Estou ausente até dia 30 com acesso limitado ao email.\n\n${customerText(ctx, Math.max(100, size - 900))}`,
      );
    case 'cjk': {
      const [charset, hex] = pick(random, CJK);
      const line = Buffer.from(hex, 'hex');
      const copies = Math.max(1, Math.floor(((size - 800) * 3) / 4 / (line.length + 2)));
      const body = Buffer.concat(Array.from({ length: copies }, () => Buffer.concat([line, Buffer.from('\r\n')])));
      return message(headerLines(ctx, [`Content-Type: text/plain; charset=${charset}`, 'Content-Transfer-Encoding: base64']), base64Lines(body));
    }
  }
}
