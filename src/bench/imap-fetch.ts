import { ImapFlow } from 'imapflow';
import type { ImapConnectionOptions } from '../adapters/imap-url';
import { compressUids } from '../adapters/imap-source';

/**
 * How fast imapflow alone fetches: APPENDs messages to a mailbox (optional), then times one
 * `UID FETCH … (UID BODY[])` over them on a fresh connection. No parsing, no Redis. Point it at
 * any IMAP server; `startDovecot()` from src/dev/dovecot.ts gives a private one.
 */
export interface ImapFetchBenchOptions {
  connection: ImapConnectionOptions;
  /** Default INBOX (created when it is another mailbox and missing). */
  mailbox?: string;
  /** Messages to APPEND before fetching; the fetch then covers exactly these. */
  messages?: ReadonlyArray<Buffer>;
  /** Without `messages`: this many generated messages of about `messageBytes` each. */
  count?: number;
  /** Size of a generated message. Default 4 KiB. */
  messageBytes?: number;
  /**
   * Called for each fetched message, awaited before the next is read, inside the timed section:
   * lets a caller time a bare pipeline (fetch → parse → enqueue → send) on the same messages.
   */
  onMessage?: (raw: Buffer, uid: number) => unknown;
}

export interface ImapFetchBenchResult {
  messages: number;
  bytes: number;
  /** Time to APPEND the messages (null when nothing was appended). */
  appendMs: number | null;
  /** Time from sending the FETCH to the last message handled. */
  fetchMs: number;
  messagesPerSecond: number;
  megabytesPerSecond: number;
}

export async function benchImapFetch(options: ImapFetchBenchOptions): Promise<ImapFetchBenchResult> {
  const mailbox = options.mailbox ?? 'INBOX';
  const messages =
    options.messages ??
    (options.count ? Array.from({ length: options.count }, (_, i) => generateBenchMessage(i + 1, options.messageBytes ?? 4096)) : null);

  let range = '1:*';
  let appendMs: number | null = null;
  if (messages && messages.length > 0) {
    const started = performance.now();
    const uids = await appendAll(options.connection, mailbox, messages);
    appendMs = performance.now() - started;
    range = compressUids(uids);
  }

  const client = new ImapFlow({ ...options.connection, logger: false, disableAutoIdle: true });
  await client.connect();
  try {
    const lock = await client.getMailboxLock(mailbox);
    try {
      let count = 0;
      let bytes = 0;
      const started = performance.now();
      for await (const msg of client.fetch(range, { uid: true, source: true }, { uid: true })) {
        if (!msg.source) continue;
        count++;
        bytes += msg.source.length;
        if (options.onMessage) await options.onMessage(msg.source, msg.uid);
      }
      const fetchMs = performance.now() - started;
      return {
        messages: count,
        bytes,
        appendMs,
        fetchMs,
        messagesPerSecond: fetchMs > 0 ? (count * 1000) / fetchMs : 0,
        megabytesPerSecond: fetchMs > 0 ? bytes / 1_048_576 / (fetchMs / 1000) : 0,
      };
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function appendAll(connection: ImapConnectionOptions, mailbox: string, messages: ReadonlyArray<Buffer>): Promise<number[]> {
  const client = new ImapFlow({ ...connection, logger: false, disableAutoIdle: true });
  await client.connect();
  try {
    if (mailbox.toUpperCase() !== 'INBOX') {
      const exists = await client.status(mailbox, { messages: true }).catch(() => false as const);
      if (!exists) await client.mailboxCreate(mailbox);
    }
    const uids: number[] = [];
    for (const raw of messages) {
      const res = await client.append(mailbox, raw);
      if (!res || !res.uid) throw new Error(`APPEND to ${mailbox} failed or returned no UID (UIDPLUS needed)`);
      uids.push(res.uid);
    }
    return uids;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** A plain-text message of about `bytes` bytes with a unique Message-ID. */
export function generateBenchMessage(n: number, bytes = 4096): Buffer {
  const head = [
    'From: Cliente Bench <bench@example.com>',
    'To: apoio@example.pt',
    `Subject: Bench ${n}`,
    'Date: Mon, 02 Mar 2026 10:00:00 +0000',
    `Message-ID: <bench.${n}.${process.pid}.${Date.now()}@bench.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    '',
  ].join('\r\n');
  const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n';
  const body = line.repeat(Math.max(1, Math.ceil((bytes - head.length) / line.length)));
  return Buffer.from(head + body);
}

/** A private Dovecot for the bench (Debian's dovecot-imapd); stop it with `.stop()`. */
export { startDovecot, type DovecotHandle } from '../dev/dovecot';
