/**
 * Generated customer messages for the integration tests that drain many messages through the real
 * service (crash-restart, two instances): each from its own address (the daily cap on automatic
 * replies is per address), in the customer's words, with a unique Message-ID. Kinds cycle so a
 * run covers forwards with one and two routes, a CC, the disclaimer, identity requests, review and
 * machine mail.
 */
export type CustomerMailKind = 'invoice' | 'policy-technical' | 'documents' | 'ask-nif' | 'thanks' | 'auto-reply';

export const CUSTOMER_MAIL_KINDS: readonly CustomerMailKind[] = ['invoice', 'policy-technical', 'documents', 'ask-nif', 'invoice', 'documents', 'ask-nif', 'thanks', 'policy-technical', 'auto-reply'];

const FIRST = ['Ana', 'Rui', 'Marta', 'Tiago', 'Inês', 'Paulo', 'Sara', 'Nuno', 'Joana', 'Hugo'];
const LAST = ['Martins Rocha', 'Costa Pereira', 'Lopes Duarte', 'Ferreira Gomes', 'Almeida Cruz'];

/** A valid NIF (policy §2 check digit) starting with 1 or 2, varied by `n`. */
export function validNif(n: number): string {
  const digits = [1 + (n % 2), ...String(1_000_000 + ((n * 7_919) % 9_000_000)).padStart(7, '0').slice(-7).split('').map(Number)];
  const sum = digits.reduce((acc, d, i) => acc + d * (9 - i), 0);
  const r = sum % 11;
  return digits.join('') + String(r < 2 ? 0 : 11 - r);
}

export interface CustomerMail {
  n: number;
  kind: CustomerMailKind;
  messageId: string;
  address: string;
  raw: Buffer;
}

export function customerMail(n: number, tag: string, kind: CustomerMailKind = CUSTOMER_MAIL_KINDS[n % CUSTOMER_MAIL_KINDS.length]!): CustomerMail {
  const name = `${FIRST[n % FIRST.length]} ${LAST[Math.floor(n / FIRST.length) % LAST.length]}`;
  const address = `cliente${n}.${tag}@exemplo.pt`;
  const messageId = `<c${n}.${tag}@exemplo.pt>`;
  const nif = validNif(n);
  const headers: string[] = [];
  let subject: string;
  let body: string;
  switch (kind) {
    case 'invoice':
      subject = `Fatura da consulta ${n}`;
      body = `Bom dia,\n\nPreciso da fatura da teleconsulta de ontem para o IRS.\n\nNome: ${name}\nNIF: ${nif}\n\nObrigado,\n${name}`;
      break;
    case 'policy-technical':
      subject = `Copagamento e erro na app ${n}`;
      body =
        `Boa tarde,\n\nQueria saber qual é o valor a meu cargo (copagamento) na teleconsulta com a minha apólice.\n` +
        `Além disso a aplicação dá erro ao entrar na sala de espera e a videochamada não arranca.\n\nNome: ${name}\nNIF: ${nif}\n\nCumprimentos,\n${name}`;
      break;
    case 'documents':
      subject = `Receita ${n}`;
      body = `Olá,\n\nA receita da consulta não chegou por SMS nem por email. Podem reenviar?\n\nNome completo: ${name}\nNIF: ${nif}\n\n${name}`;
      break;
    case 'ask-nif':
      subject = `Declaração de presença ${n}`;
      body = `Bom dia,\n\nPreciso da declaração de presença da consulta para entregar no trabalho.\n\nCumprimentos,\n${name}`;
      break;
    case 'thanks':
      subject = `Obrigado ${n}`;
      body = `Muito obrigado pela ajuda de ontem, correu tudo bem.\n\n${name}`;
      break;
    case 'auto-reply':
      subject = `Resposta automática: ausência ${n}`;
      headers.push('Auto-Submitted: auto-replied');
      body = `Esta é uma resposta automática. Estou ausente até dia 20.\n\n${name}`;
      break;
  }
  const lines = [
    `From: ${name} <${address}>`,
    'To: Apoio Médico Online <apoio@medico-online.pt>',
    `Subject: ${subject}`,
    'Date: Mon, 02 Mar 2026 10:00:00 +0000',
    `Message-ID: ${messageId}`,
    ...headers,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    body.replace(/\n/g, '\r\n'),
    '',
  ];
  return { n, kind, messageId, address, raw: Buffer.from(lines.join('\r\n'), 'utf8') };
}
