import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  appendMessagesTo,
  DOVEADM_BINARY,
  DOVECOT_TEST_PASSWORD,
  type ImapTestConnection,
} from '../../src/dev/dovecot';

/**
 * The private Dovecot of the integration tests. tests/integration/global-setup.ts starts one per
 * run and exports TEST_IMAP_PORT / TEST_DOVECOT_CONFIG; these helpers read them. The starter itself
 * lives in src/dev/dovecot.ts (the bench uses it at run time).
 */
export * from '../../src/dev/dovecot';

const execFileAsync = promisify(execFile);

export function testImapPort(): number {
  const port = Number(process.env['TEST_IMAP_PORT']);
  if (!port) throw new Error('TEST_IMAP_PORT is not set: run through the integration project (its globalSetup starts Dovecot)');
  return port;
}

/** A user nobody used before: the static passdb lets any name in, so no cleanup is needed. */
export function uniqueUser(label = 'imap'): string {
  return `${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function testImapConnection(user: string): ImapTestConnection {
  return { host: '127.0.0.1', port: testImapPort(), secure: false, auth: { user, pass: DOVECOT_TEST_PASSWORD }, doSTARTTLS: false };
}

export function testImapUrl(user: string, mailbox = 'INBOX'): string {
  return `imap://${encodeURIComponent(user)}:${encodeURIComponent(DOVECOT_TEST_PASSWORD)}@127.0.0.1:${testImapPort()}/${encodeURIComponent(mailbox)}?starttls=never`;
}

/** APPENDs raw messages for a user of the shared test Dovecot; resolves their UIDs. */
export function appendMessages(
  user: string,
  raws: ReadonlyArray<Buffer | string>,
  mailbox = 'INBOX',
  flags: string[] = [],
): Promise<number[]> {
  return appendMessagesTo(testImapConnection(user), mailbox, raws, flags);
}

/** Ends the user's sessions from the server side, as a server restart or an admin would. */
export async function kickUser(user: string): Promise<void> {
  const config = process.env['TEST_DOVECOT_CONFIG'];
  if (!config) throw new Error('TEST_DOVECOT_CONFIG is not set');
  try {
    await execFileAsync(DOVEADM_BINARY, ['-c', config, 'kick', user]);
  } catch (err) {
    if ((err as { code?: number }).code !== 68) throw err; // 68: nobody to kick
  }
}

/** A small RFC 5322 message with a unique Message-ID. */
export function buildTestMessage(n: number, options: { tag?: string; bodyBytes?: number; messageId?: string | null } = {}): Buffer {
  const tag = options.tag ?? randomBytes(4).toString('hex');
  const messageId = options.messageId === undefined ? `<t${n}.${tag}@test.example>` : options.messageId;
  const body = options.bodyBytes ? 'x'.repeat(76).concat('\r\n').repeat(Math.ceil(options.bodyBytes / 78)) : `Mensagem de teste ${n}.\r\n`;
  const lines = [
    'From: Cliente <cliente@example.com>',
    'To: apoio@example.pt',
    `Subject: Teste ${n}`,
    'Date: Mon, 02 Mar 2026 10:00:00 +0000',
    ...(messageId ? [`Message-ID: ${messageId}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
  ];
  return Buffer.from(lines.join('\r\n'));
}
