import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCaseStore } from '../../src/adapters/case-store';
import { loadRules } from '../../src/config/load';
import { customerMail } from '../helpers/customer-mail';
import { appendMessages, testImapUrl, uniqueUser } from '../helpers/dovecot';
import { checkExactlyOnce, expectedMails, totalOf, waitDrained } from '../helpers/drain-check';
import { eventually } from '../helpers/imap-harness';
import { assertBuilt, probePrefix, serviceEnv, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';

/**
 * Scaling out (issue 4, "What must hold"): two `triage start --role poller` and two `triage start
 * --role worker` processes on the same inbox, Redis prefix and SMTP sink. Only one poller holds
 * the mailbox lease at a time; the workers share the queues. Half-way the active poller is
 * stopped (SIGTERM) and more mail arrives: the standby takes the mailbox over. At the end every
 * message is handled exactly once (no duplicate, no loss), both workers did part of the work and
 * both pollers held the mailbox at some point.
 */

jest.setTimeout(180_000);

const FIRST = 150;
const SECOND = 150;

let logDir: string;
beforeAll(() => {
  assertBuilt();
  logDir = mkdtempSync(path.join(tmpdir(), 'triage-two-'));
});
afterAll(() => {
  rmSync(logDir, { recursive: true, force: true });
});

const count = (log: string, msg: string): number => log.split('\n').filter((line) => line.includes(`"msg":"${msg}`)).length;

describe('two pollers and two worker processes on the same inbox', () => {
  it('handles every message exactly once, the standby poller taking over when the active one stops', async () => {
    const user = uniqueUser('two');
    const tag = randomBytes(3).toString('hex');
    const mails = Array.from({ length: FIRST + SECOND }, (_, n) => customerMail(n, tag));
    const expected = await expectedMails(mails, loadRules());
    const firstTotal = totalOf(new Map([...expected].slice(0, FIRST)));

    let sink: SmtpSink | null = null;
    const processes: ServiceProcess[] = [];
    const env = await serviceEnv({
      imapUrl: testImapUrl(user),
      smtpUrl: 'smtp://127.0.0.1:1',
      extra: { IMAP_POLL_SECONDS: '1', IMAP_LEASE_SECONDS: '3', WORKER_LOCK_MS: '3000', SEND_RETRY_DELAY_MS: '500' },
    });
    const prefix = env['TRIAGE_REDIS_PREFIX'] as string;
    const probe = probePrefix(prefix);
    const store = createCaseStore(probe.redis, prefix);
    try {
      sink = await startSmtpSink();
      env['SMTP_URL'] = sink.url;
      await appendMessages(user, mails.slice(0, FIRST).map((m) => m.raw));

      const start = (name: string, role: 'poller' | 'worker'): Promise<ServiceProcess> =>
        startServiceProcess({ name, role, env, logFile: path.join(logDir, `${name}.log`) });
      const [p1, p2, w1, w2] = await Promise.all([start('poller-1', 'poller'), start('poller-2', 'poller'), start('worker-1', 'worker'), start('worker-2', 'worker')]);
      processes.push(p1!, p2!, w1!, w2!);
      const pollers = [p1!, p2!];
      await Promise.all(processes.map((p) => p.started()));

      // Half-way through the first batch, stop whichever poller holds the mailbox lease.
      await sink.waitFor((m) => m.length >= Math.ceil(firstTotal * 0.4), 60_000);
      const holder = await eventually(
        async () => {
          const keys = await probe.redis.keys(`${prefix}:imap:lease:*`);
          const value = keys[0] ? await probe.redis.get(keys[0]) : null;
          return pollers.find((p) => value?.includes(`:${p.pid}:`)) ?? null;
        },
        (p) => p !== null,
        15_000,
        'a poller holding the mailbox lease',
      );
      const active = holder as ServiceProcess;
      expect((await active.stop()).code).toBe(0);

      // More mail while only the other poller runs: it must take the mailbox over.
      await appendMessages(user, mails.slice(FIRST).map((m) => m.raw));
      const restarted = await start(`${active.name}-again`, 'poller');
      processes.push(restarted);
      await restarted.started();

      await waitDrained({ mails, store, probe, user });
      for (const p of processes) expect({ name: p.name, exit: await p.stop() }).toEqual({ name: p.name, exit: { code: 0, signal: null } });

      const result = await checkExactlyOnce({ mails, expected, store, sink: sink.messages, probe, user });
      const workerSends = [w1!, w2!].map((w) => count(w.log(), 'mail sent'));
      const leaseTaken = pollers.map((p) => count(p.log(), 'mailbox lease acquired'));
      // eslint-disable-next-line no-console
      console.info(
        `two instances: ${mails.length} messages, ${sink.messages.length} mails for ${totalOf(expected)} expected, ` +
          `${result.duplicates.length} duplicates; mail sent by worker-1 ${workerSends[0]}, worker-2 ${workerSends[1]}; ` +
          `lease taken by poller-1 ${leaseTaken[0]}×, poller-2 ${leaseTaken[1]}×; stopped ${active.name}`,
      );
      expect(result.problems).toEqual([]);
      expect(result.duplicates).toEqual([]);
      expect(sink.messages).toHaveLength(totalOf(expected));
      expect(workerSends.every((n) => n > 0)).toBe(true);
      expect(leaseTaken.every((n) => n > 0)).toBe(true);
    } finally {
      for (const p of processes) p.kill('SIGKILL');
      await probe.cleanup();
      await sink?.close();
    }
  });
});
