import type { CaseStore } from '../../src/adapters/case-store';
import { messageHash } from '../../src/adapters/ingest';
import type { SendJobData } from '../../src/adapters/queues';
import type { Rules } from '../../src/core/types';
import { explainMessage } from '../../src/explain';
import type { CustomerMail } from './customer-mail';
import { eventually, readMailbox } from './imap-harness';
import type { PrefixProbe } from './service-process';
import type { SinkMessage } from './smtp-sink';

/**
 * Exactly-once checks for the tests that drain many generated messages through running services
 * (crash-restart, two instances): what each message must cause, from the decision core alone;
 * when the drain is over; and whether the sink got each of those mails once and nothing else.
 */

export interface ExpectedMail {
  kind: string;
  category: string | null;
  recipients: string[];
}

export const sinkKind = (m: SinkMessage): string => m.header('x-triage-kind') ?? (m.header('x-triage-category') ? 'forward' : 'unknown');
export const mailKey = (m: ExpectedMail): string => `${m.kind}${m.category ? `:${m.category}` : ''} → ${[...new Set(m.recipients.map((r) => r.toLowerCase()))].sort().join(',')}`;

/** Per Message-ID of a customer mail: the forwards, acknowledgement or identity request policy §3 implies. */
export async function expectedMails(mails: readonly CustomerMail[], rules: Rules): Promise<Map<string, ExpectedMail[]>> {
  const expected = new Map<string, ExpectedMail[]>();
  for (const m of mails) {
    const line = await explainMessage(m.raw, rules, m.messageId);
    const out: ExpectedMail[] = [];
    if (line.action === 'forward') {
      for (const r of line.routes) out.push({ kind: 'forward', category: r.category, recipients: [...r.to, ...r.cc] });
      out.push({ kind: 'acknowledgement', category: null, recipients: [m.address] });
    } else if (line.action === 'ask_identity') {
      out.push({ kind: 'identity_request', category: null, recipients: [m.address] });
    }
    expected.set(m.messageId, out);
  }
  return expected;
}

export const totalOf = (expected: Map<string, ExpectedMail[]>): number => [...expected.values()].reduce((n, list) => n + list.length, 0);

/** Every message processed, both queues empty three times in a row (delayed retries included), the INBOX empty. */
export async function waitDrained(options: { mails: readonly CustomerMail[]; store: CaseStore; probe: PrefixProbe; user: string; timeoutMs?: number }): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const hashes = options.mails.map((m) => messageHash(m.raw));
  await eventually(
    async () => (await Promise.all(hashes.map((h) => options.store.getMessage(h)))).filter((r) => !r).length,
    (left) => left === 0,
    timeoutMs,
    'every message processed',
  );
  let quiet = 0;
  await eventually(
    async () => {
      quiet = (await options.probe.busy()) === 0 ? quiet + 1 : 0;
      return quiet;
    },
    (n) => n >= 3,
    timeoutMs,
    'both queues empty',
  );
  await eventually(() => readMailbox(options.user), (inbox) => inbox !== null && inbox.length === 0, 30_000, 'an empty INBOX');
}

export interface ExactlyOnceReport {
  problems: string[];
  /** Message-IDs delivered more than once. */
  duplicates: Array<{ messageId: string; deliveries: number }>;
}

/**
 * Each mail the service planned for a message (its processed marker in Redis) is what the decision
 * implies, and reached the sink; nothing else did; no job is dead-lettered; the handled folder
 * holds every message once.
 */
export async function checkExactlyOnce(options: {
  mails: readonly CustomerMail[];
  expected: Map<string, ExpectedMail[]>;
  store: CaseStore;
  sink: readonly SinkMessage[];
  probe: PrefixProbe;
  user: string;
}): Promise<ExactlyOnceReport> {
  const problems: string[] = [];
  const deliveries = new Map<string, SinkMessage[]>();
  for (const m of options.sink) deliveries.set(m.parsed.messageId ?? '', [...(deliveries.get(m.parsed.messageId ?? '') ?? []), m]);
  const planned = new Set<string>();
  for (const m of options.mails) {
    const record = await options.store.getMessage(messageHash(m.raw));
    const jobs = (record?.mails ?? []) as SendJobData[];
    const want = (options.expected.get(m.messageId) ?? []).map(mailKey).sort();
    const plannedKeys = jobs.map(({ mail }) => mailKey({ kind: mail.kind, category: mail.kind === 'forward' ? mail.category : null, recipients: [...mail.to, ...mail.cc] })).sort();
    if (JSON.stringify(want) !== JSON.stringify(plannedKeys)) problems.push(`${m.messageId} (${m.kind}): planned [${plannedKeys.join('; ')}], expected [${want.join('; ')}]`);
    const got: string[] = [];
    for (const { mail } of jobs) {
      planned.add(mail.messageId);
      const seen = deliveries.get(mail.messageId) ?? [];
      if (seen.length === 0) problems.push(`${m.messageId} (${m.kind}): ${mail.kind} ${mail.messageId} never reached the sink (lost)`);
      for (const s of seen) got.push(mailKey({ kind: sinkKind(s), category: s.header('x-triage-category') ?? null, recipients: s.recipients }));
    }
    // Repeats are counted by Message-ID below; here: the right mails to the right people.
    const gotOnce = [...new Set(got)].sort();
    if (JSON.stringify(gotOnce) !== JSON.stringify(want)) problems.push(`${m.messageId} (${m.kind}): the sink got [${got.sort().join('; ')}], expected [${want.join('; ')}]`);
  }
  for (const [id, list] of deliveries) if (!planned.has(id)) problems.push(`stray mail at the sink: ${id} (${list.map(sinkKind).join(', ')})`);
  const duplicates = [...deliveries].filter(([, list]) => list.length > 1).map(([messageId, list]) => ({ messageId, deliveries: list.length }));

  if ((await options.probe.failed()) > 0) problems.push(`dead-lettered jobs: ${(await options.probe.failedReasons()).join('; ')}`);
  const handled = await readMailbox(options.user, 'Triaged');
  const handledIds = new Set((handled ?? []).map((m) => m.messageId));
  const n = options.mails.length;
  if (handled?.length !== n || handledIds.size !== n) problems.push(`the handled folder holds ${handled?.length ?? 0} messages (${handledIds.size} distinct), not ${n}`);
  return { problems, duplicates };
}
