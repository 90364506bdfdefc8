import { ImapFlow } from 'imapflow';
import type { Logger } from '../log';
import type { ImapConnectionOptions } from './imap-url';

/**
 * Whether the SMTP server kept a copy of one of our mails in the account's Sent folder: Gmail
 * and Microsoft 365 file what an authenticated client submits there. Our Message-IDs are derived
 * from the case and the step (core/compose.ts), so the copy of a send left in doubt by a crash is
 * found by its Message-ID, and the router records it as sent instead of sending it twice.
 * Only sends in doubt ask (rare): one short-lived connection per question, read-only.
 */
export type FindSent = (messageId: string) => Promise<boolean>;

export interface SentFolderOptions {
  connection: ImapConnectionOptions;
  folder: string;
  logger: Logger;
  /** Connection and socket timeouts, ms. Default 15 s. */
  timeoutMs?: number;
}

export function createSentFolderCheck(options: SentFolderOptions): FindSent {
  const log = options.logger.child({ component: 'sent-folder' });
  const timeout = options.timeoutMs ?? 15_000;
  return async function findSent(messageId: string): Promise<boolean> {
    const client = new ImapFlow({
      ...options.connection,
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 2,
    });
    client.on('error', (err: Error) => log.warn({ err }, 'IMAP error while looking in the Sent folder'));
    await client.connect();
    try {
      const lock = await client.getMailboxLock(options.folder, { readOnly: true });
      try {
        // SEARCH HEADER is a substring match (RFC 3501 §6.4.4): the id with its brackets is exact enough.
        const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
        return Array.isArray(uids) && uids.length > 0;
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
  };
}
