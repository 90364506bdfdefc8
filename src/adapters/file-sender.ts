import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import type { OutgoingMail } from '../core/compose';
import { toMailOptions, type AttachmentContent, type MailSender } from './smtp-sender';

export interface FileSenderOptions {
  dir: string;
  /** Called after each mail is written (the demo prints it). */
  onWritten?: (mail: OutgoingMail, path: string) => void;
}

/**
 * A MailSender that writes each mail as an .eml file instead of sending it (the demo, policy
 * checks by hand). The MIME message is built by nodemailer's stream transport, exactly as the SMTP
 * transport would build it. The file name comes from the case and step, so a retried send
 * rewrites the same file.
 */
export function createFileSender(options: FileSenderOptions): MailSender {
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail: OutgoingMail, attachments: AttachmentContent[], recipients?: string[]) {
      await mkdir(options.dir, { recursive: true });
      const info = await transport.sendMail(toMailOptions(mail, attachments, recipients));
      const path = join(options.dir, `${mail.caseId}.${mail.step}.eml`.replace(/[^A-Za-z0-9._-]/g, '_'));
      await writeFile(path, info.message as Buffer);
      options.onWritten?.(mail, path);
      return {
        messageId: mail.messageId,
        response: `250 written to ${path}`,
        accepted: recipients ?? [...mail.to, ...mail.cc],
        rejected: [],
        rejectedErrors: [],
      };
    },
    async verify() {
      await mkdir(options.dir, { recursive: true });
    },
    async close() {
      transport.close();
    },
  };
}
