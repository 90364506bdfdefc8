import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SunkMail {
  from: string;
  to: string[];
  raw: Buffer;
  subject: string;
  headers: Map<string, unknown>;
}

/**
 * An in-process SMTP server that keeps what it accepts. `reject` makes chosen recipients fail
 * with a chosen code (550: permanent, 450: transient) until it is cleared.
 */
export async function startSmtpSink(): Promise<{
  port: number;
  url: string;
  mails: SunkMail[];
  reject: Map<string, number>;
  waitFor: (predicate: (m: SunkMail) => boolean, timeoutMs?: number) => Promise<SunkMail>;
  close: () => Promise<void>;
}> {
  const mails: SunkMail[] = [];
  const reject = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'tester' });
    },
    logger: false,
    onRcptTo(address, _session, callback) {
      const code = reject.get(address.address.toLowerCase());
      if (code) return callback(Object.assign(new Error(`${code} mailbox unavailable (test)`), { responseCode: code }));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        void simpleParser(raw).then((parsed) => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            raw,
            subject: parsed.subject ?? '',
            headers: parsed.headers,
          });
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails,
    reject,
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mails.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching mail in the SMTP sink after ${timeoutMs} ms (${mails.length} received)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
