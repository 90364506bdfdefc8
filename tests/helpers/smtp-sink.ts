import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SinkMessage {
  /** RCPT TO addresses of the transaction, lower case. */
  recipients: string[];
  from: string;
  raw: Buffer;
  parsed: ParsedMail;
  /** ms since the epoch, when the server accepted it. */
  at: number;
  /** Header value, lower-case name. */
  header(name: string): string | undefined;
}

export interface SmtpSink {
  readonly url: string;
  readonly port: number;
  readonly messages: SinkMessage[];
  /** RCPT TO attempts per address (accepted or not). */
  readonly attempts: Map<string, number>;
  /**
   * Rejects RCPT TO for `address` with `code` (450 transient, 550 permanent…), for the next `times`
   * attempts (default: always).
   */
  reject(address: string, code: number, times?: number): void;
  clear(): void;
  /** Messages delivered to `address` (To or Cc: what the envelope carried). */
  deliveredTo(address: string): SinkMessage[];
  waitFor(predicate: (messages: SinkMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An in-process SMTP server for the integration tests (architecture §4: real SMTP through
 * `smtp-server`). Plain text, no auth, on a free port of 127.0.0.1.
 */
export interface SmtpSinkOptions {
  /**
   * Called with each mail before the server accepts it (a failure refuses it with 451), as a
   * provider filing what it accepted in the sender's Sent folder (Gmail, Microsoft 365).
   */
  keepCopy?: (raw: Buffer) => Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const attempts = new Map<string, number>();
  const rejections = new Map<string, { code: number; times: number }>();

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      const rcpt = address.address.toLowerCase();
      attempts.set(rcpt, (attempts.get(rcpt) ?? 0) + 1);
      const rule = rejections.get(rcpt);
      if (rule && rule.times > 0) {
        rule.times--;
        const err = Object.assign(new Error(rule.code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: rule.code });
        callback(err);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        Promise.resolve(options.keepCopy?.(raw))
          .then(() => simpleParser(raw))
          .then((parsed) => {
            messages.push({
              at: Date.now(),
              recipients: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              raw,
              parsed,
              header: (name) => {
                const value = parsed.headers.get(name.toLowerCase());
                return value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
              },
            });
            callback();
          })
          .catch((err: Error) => callback(Object.assign(err, { responseCode: 451 })));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A client that dies mid-session (a killed service) resets its connection: not the sink's failure.
  server.on('error', () => undefined);
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    attempts,
    reject(address, code, times = Number.POSITIVE_INFINITY) {
      rejections.set(address.toLowerCase(), { code, times });
    },
    clear() {
      messages.length = 0;
      attempts.clear();
      rejections.clear();
    },
    deliveredTo(address) {
      return messages.filter((m) => m.recipients.includes(address.toLowerCase()));
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline) throw new Error(`smtp sink: condition not met in ${timeoutMs} ms (${messages.length} messages)`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
