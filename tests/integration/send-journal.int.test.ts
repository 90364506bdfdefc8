import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createCaseStore } from '../../src/adapters/case-store';
import { createSendJournal } from '../../src/adapters/send-journal';
import { createSentFolderCheck } from '../../src/adapters/sent-folder';
import type { MailSender, SendResult } from '../../src/adapters/smtp-sender';
import { loadRules } from '../../src/config/load';
import type { OutgoingMail } from '../../src/core/compose';
import { createLogger } from '../../src/log';
import { createRouter } from '../../src/workers/router';
import { appendMessages, buildTestMessage, testImapConnection, uniqueUser } from '../helpers/dovecot';
import { resolveTestRedisUrl } from '../helpers/test-redis-url';

/**
 * The router's handling of a send cut short by a crash (architecture habit 7), on real Redis: the
 * journal entry an attempt leaves behind when the process dies mid-send makes the next attempt
 * look in the Sent folder first. The crash itself is simulated by beginning an attempt in the
 * journal and never ending it; crash-restart.int.test.ts does it with SIGKILL. The Sent folder
 * lookup runs against the test Dovecot.
 */

const rules = loadRules();
let redis: Redis;
let prefix: string;

beforeEach(() => {
  redis = new Redis(resolveTestRedisUrl());
  prefix = `tj${randomBytes(5).toString('hex')}`;
});
afterEach(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function mail(step: string): OutgoingMail {
  return {
    step,
    kind: 'forward',
    caseId: 'MO-2026-000001',
    category: 'invoice',
    messageId: `<MO-2026-000001.${step}@triage.medico-online.pt>`,
    from: { name: 'Apoio', address: 'apoio@medico-online.pt' },
    to: ['rute.joao.externo@ageas.pt'],
    cc: ['clinicadigital@saude360.medis.pt'],
    replyTo: null,
    subject: 'Fatura',
    inReplyTo: null,
    references: [],
    headers: {},
    text: 'x',
    attachments: [],
    capAddress: null,
    sourceHash: 'h',
  };
}

function setup(options: { findSent?: (id: string) => Promise<boolean>; now: Date }) {
  const store = createCaseStore(redis, prefix);
  const journal = createSendJournal(redis, prefix);
  const sent: string[] = [];
  const sender: MailSender = {
    async send(m): Promise<SendResult> {
      sent.push(m.messageId);
      return { messageId: m.messageId, response: '250 ok', accepted: [...m.to, ...m.cc], rejected: [], rejectedErrors: [] };
    },
    verify: async () => undefined,
    close: async () => undefined,
  };
  const route = createRouter({
    store,
    sender,
    rules,
    logger: createLogger({ level: 'silent' }),
    journal,
    now: () => options.now,
    sentSettleMs: 10_000,
    ...(options.findSent ? { findSent: options.findSent } : {}),
  });
  return { store, journal, sent, route };
}

describe('createRouter with a send journal', () => {
  it('when nothing is in doubt, then it sends once and leaves no journal entry', async () => {
    const { route, sent, journal, store } = setup({ now: new Date(), findSent: async () => true });
    const m = mail('fwd-a');
    expect(await route({ mail: m, receivedAt: null })).toMatchObject({ status: 'sent' });
    expect(await route({ mail: m, receivedAt: null })).toEqual({ status: 'skipped', reason: 'already sent' });
    expect(sent).toEqual([m.messageId]);
    expect(await journal.begin(m.messageId, new Date())).toBeNull();
    expect(await journal.inDoubt()).toEqual({});
    expect((await store.getDelivery(m.messageId))?.complete).toBe(true);
  });

  it('when an attempt died and the Sent folder has the mail, then it is recorded as sent, not sent again', async () => {
    const now = new Date();
    const { route, sent, journal, store } = setup({ now, findSent: async () => true });
    const m = mail('fwd-b');
    await journal.begin(m.messageId, new Date(now.getTime() - 1_000)); // the attempt that died
    expect(await route({ mail: m, receivedAt: null })).toMatchObject({ status: 'sent', response: 'found in the Sent folder after an interrupted send' });
    expect(sent).toEqual([]);
    expect(await journal.inDoubt()).toEqual({ [m.messageId]: 'found-in-sent' });
    expect(await store.getDelivery(m.messageId)).toMatchObject({ complete: true, delivered: ['rute.joao.externo@ageas.pt', 'clinicadigital@saude360.medis.pt'] });
  });

  it('when an attempt died and the Sent folder does not show it yet, then it waits, and sends once the settle time is over', async () => {
    const died = new Date();
    let now = new Date(died.getTime() + 2_000);
    const store = createCaseStore(redis, prefix);
    const journal = createSendJournal(redis, prefix);
    const m = mail('fwd-c');
    await journal.begin(m.messageId, died);
    const sent: string[] = [];
    const route = createRouter({
      store,
      sender: {
        async send(x) {
          sent.push(x.messageId);
          return { messageId: x.messageId, response: '250 ok', accepted: [...x.to, ...x.cc], rejected: [], rejectedErrors: [] };
        },
        verify: async () => undefined,
        close: async () => undefined,
      },
      rules,
      logger: createLogger({ level: 'silent' }),
      journal,
      findSent: async () => false,
      now: () => now,
      sentSettleMs: 10_000,
    });
    await expect(route({ mail: m, receivedAt: null })).rejects.toMatchObject({ code: 'TRIAGE_SMTP_IN_DOUBT' });
    expect(sent).toEqual([]);
    now = new Date(died.getTime() + 11_000);
    expect(await route({ mail: m, receivedAt: null })).toMatchObject({ status: 'sent' });
    expect(sent).toEqual([m.messageId]);
    expect(await journal.inDoubt()).toEqual({ [m.messageId]: 'sent-again' });
    expect(await journal.begin(m.messageId, new Date())).toBeNull();
  });

  it('when an attempt died and there is no Sent folder to ask, then it sends again and counts it', async () => {
    const { route, sent, journal } = setup({ now: new Date() });
    const m = mail('fwd-d');
    await journal.begin(m.messageId, new Date());
    expect(await route({ mail: m, receivedAt: null })).toMatchObject({ status: 'sent' });
    expect(sent).toEqual([m.messageId]);
    expect(await journal.inDoubt()).toEqual({ [m.messageId]: 'sent-again' });
  });

  it('when the SMTP transaction fails, then the attempt is not left in doubt', async () => {
    const store = createCaseStore(redis, prefix);
    const journal = createSendJournal(redis, prefix);
    const route = createRouter({
      store,
      sender: {
        send: async () => {
          throw Object.assign(new Error('connection refused'), { code: 'ESOCKET' });
        },
        verify: async () => undefined,
        close: async () => undefined,
      },
      rules,
      logger: createLogger({ level: 'silent' }),
      journal,
    });
    const m = mail('fwd-e');
    await expect(route({ mail: m, receivedAt: null })).rejects.toThrow('connection refused');
    expect(await journal.begin(m.messageId, new Date())).toBeNull();
  });
});

describe('createSentFolderCheck', () => {
  it('when our mail is in the Sent folder, then it is found by its Message-ID, and another is not', async () => {
    const user = uniqueUser('sent');
    await appendMessages(user, [buildTestMessage(1, { messageId: '<MO-2026-000007.ack.1a2b@triage.medico-online.pt>' })], 'Sent');
    const findSent = createSentFolderCheck({ connection: testImapConnection(user), folder: 'Sent', logger: createLogger({ level: 'silent' }) });
    expect(await findSent('<MO-2026-000007.ack.1a2b@triage.medico-online.pt>')).toBe(true);
    expect(await findSent('<MO-2026-000007.ack.9z9z@triage.medico-online.pt>')).toBe(false);
  });
});
