import { createTransport } from 'nodemailer';
import type { Logger } from '../log';
import type { OutgoingMail } from '../core/compose';

/**
 * Sending mail with nodemailer. The composed mail (core/compose.ts) is data; this adapter turns
 * it into a MIME message and hands it to a transport: pooled SMTP in production, files in the
 * demo (file-sender.ts).
 */

export interface AttachmentContent {
  filename: string;
  content: Buffer;
  /** Default message/rfc822 (the customer's original, attached whole). */
  contentType?: string;
}

export interface RecipientError {
  recipient: string;
  responseCode?: number | undefined;
  code?: string | undefined;
  message: string;
}

export interface SendResult {
  messageId: string;
  /** The server's final reply (e.g. `250 2.0.0 Ok: queued as …`). */
  response: string;
  accepted: string[];
  rejected: string[];
  /** Why each rejected recipient was refused (RCPT TO replies). */
  rejectedErrors: RecipientError[];
}

export interface MailSender {
  /**
   * Sends `mail`. With `recipients`, the envelope carries only those (a retry after some were
   * accepted); the To and Cc headers stay as composed.
   */
  send(mail: OutgoingMail, attachments: AttachmentContent[], recipients?: string[]): Promise<SendResult>;
  /** Checks the connection and credentials (readiness); resolves when fine. */
  verify(): Promise<void>;
  close(): Promise<void>;
}

export type SendFailureClass = 'permanent' | 'transient';

/** Error codes that retrying cannot fix when the server gave no reply code: configuration and content. */
const PERMANENT_CODES = new Set([
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ECONFIG',
  'EENVELOPE',
  'EMESSAGE',
  'EMAXRECIPIENTS',
  'EREQUIRETLS',
  'EFILEACCESS',
  'EURLACCESS',
  'ERR_ACCESS_DENIED',
]);

/**
 * Permanent or transient, from the SMTP reply code first and the error code second (architecture
 * habit 3). RFC 5321 §4.2.1: 5yz is a permanent negative completion, 4yz a transient one. 503 (bad
 * sequence of commands) says the session was in the wrong state, not that the mail was refused,
 * so the same mail goes through on a new connection. Without a reply code, authentication,
 * configuration and envelope errors are permanent; network errors and anything unknown are
 * transient (a retry costs little; a dropped mail costs a customer).
 */
export function classifySendError(err: unknown): SendFailureClass {
  const e = (err ?? {}) as { responseCode?: unknown; code?: unknown };
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : Number.NaN;
  if (Number.isInteger(responseCode) && responseCode >= 200 && responseCode < 600) {
    if (responseCode >= 500) return responseCode === 503 ? 'transient' : 'permanent';
    return 'transient';
  }
  if (typeof e.code === 'string' && PERMANENT_CODES.has(e.code)) return 'permanent';
  return 'transient';
}

/** The nodemailer message for a composed mail. */
export function toMailOptions(mail: OutgoingMail, attachments: AttachmentContent[], recipients?: string[]) {
  return {
    ...(recipients ? { envelope: { from: mail.from.address, to: recipients } } : {}),
    from: { name: mail.from.name, address: mail.from.address },
    to: mail.to,
    cc: mail.cc.length > 0 ? mail.cc : undefined,
    replyTo: mail.replyTo ?? undefined,
    subject: mail.subject,
    text: mail.text,
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo ?? undefined,
    references: mail.references.length > 0 ? mail.references : undefined,
    headers: mail.headers,
    date: new Date(),
    // The original message, attached whole so its attachments and headers arrive intact (policy §3).
    attachments: attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType ?? 'message/rfc822', contentDisposition: 'attachment' as const })),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export interface SmtpSenderOptions {
  /** `smtp://user:pass@host:port` or `smtps://…`. */
  url: string;
  poolSize: number;
  logger: Logger;
  /** Per-connection timeouts, ms. */
  timeoutMs?: number;
  /** Accept self-signed certificates (test sinks only). */
  insecureTls?: boolean;
}

/** A pooled SMTP transport: connections are reused across sends (architecture §4 bench facts). */
export function createSmtpSender(options: SmtpSenderOptions): MailSender {
  const url = new URL(options.url);
  const secure = url.protocol === 'smtps:';
  const timeout = options.timeoutMs ?? 30_000;
  const auth = url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined;
  const transport = createTransport({
    pool: true,
    maxConnections: options.poolSize,
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(auth ? { auth } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
    ...(options.insecureTls ? { tls: { rejectUnauthorized: false } } : {}),
  });
  const log = options.logger.child({ component: 'smtp' });
  transport.on('error', (err: Error) => log.warn({ err }, 'smtp pool error'));
  return {
    async send(mail, attachments, recipients) {
      const info = await transport.sendMail(toMailOptions(mail, attachments, recipients));
      return {
        messageId: info.messageId ?? mail.messageId,
        response: String(info.response ?? ''),
        accepted: (info.accepted ?? []).map(addressText),
        rejected: (info.rejected ?? []).map(addressText),
        rejectedErrors: recipientErrors(info.rejectedErrors),
      };
    },
    async verify() {
      await transport.verify();
    },
    async close() {
      transport.close();
    },
  };
}

/** Per-recipient errors as nodemailer reports them (`rejectedErrors`), reduced to plain data. */
export function recipientErrors(errors: unknown): RecipientError[] {
  if (!Array.isArray(errors)) return [];
  return errors.map((e: { recipient?: unknown; responseCode?: unknown; code?: unknown; message?: unknown }) => ({
    recipient: addressText(e.recipient),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    code: typeof e.code === 'string' ? e.code : undefined,
    message: typeof e.message === 'string' ? e.message : 'refused',
  }));
}

function addressText(value: unknown): string {
  if (value && typeof value === 'object' && 'address' in value) return String((value as { address: unknown }).address).toLowerCase();
  return String(value ?? '').toLowerCase();
}
