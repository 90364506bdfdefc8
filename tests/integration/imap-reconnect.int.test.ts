import net from 'node:net';
import {
  appendMessages,
  appendMessagesTo,
  buildTestMessage,
  kickUser,
  startDovecot,
  testImapConnection,
  uniqueUser,
  type DovecotHandle,
} from '../helpers/dovecot';
import type { ImapSource } from '../../src/adapters/imap-source';
import { createImapHarness, eventually, type ImapHarness } from '../helpers/imap-harness';

jest.setTimeout(60_000);

describe('createImapSource: reconnect (Dovecot)', () => {
  let h: ImapHarness;
  let own: DovecotHandle | null = null;
  beforeEach(() => {
    h = createImapHarness();
  });
  afterEach(async () => {
    await h.close();
    await own?.stop({ remove: true });
    own = null;
  });

  it('when the server drops the session, then it reconnects with backoff and carries on', async () => {
    const user = uniqueUser('kick');
    const { source, sink } = h.createSource(user, { pollIntervalMs: 60_000 });
    await source.start();
    await appendMessages(user, [buildTestMessage(1)]);
    await sink.waitForUnique(1);
    await handled(source, 1); // marked and checkpointed: a drop now cannot make it come again

    await kickUser(user);
    await eventually(() => source.status().reconnects, (n) => n >= 1, 5_000, 'a reconnect');
    await eventually(() => source.status(), (s) => s.connected && s.role === 'active', 5_000, 'connected again');
    await appendMessages(user, [buildTestMessage(2), buildTestMessage(3)]);
    await sink.waitForUnique(3);
    expect(sink.calls).toHaveLength(3);
  });

  it('when Dovecot restarts, then it retries until the server is back and takes what arrived meanwhile', async () => {
    own = await startDovecot();
    const server = own;
    const user = uniqueUser('restart');
    const { source, sink } = h.createSource(user, {
      connection: server.connection(user),
      pollIntervalMs: 60_000,
      reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    });
    await source.start();
    await appendMessagesTo(server.connection(user), 'INBOX', [buildTestMessage(1)]);
    await sink.waitForUnique(1);
    await handled(source, 1);

    await server.restart();
    await appendMessagesTo(server.connection(user), 'INBOX', [buildTestMessage(2)]);
    await sink.waitForUnique(2, 15_000);
    await handled(source, 2);
    // Down for a while: connection refused on every attempt, then back.
    const pid = server.pid();
    await server.stop({ remove: false });
    await eventually(() => source.status(), (s) => !s.connected && s.lastError !== null, 5_000, 'noticed the outage');
    const reconnectsBefore = source.status().reconnects;
    await new Promise((r) => setTimeout(r, 1_500));
    const during = source.status();
    expect(during.connected).toBe(false);
    expect(['connecting', 'backoff']).toContain(during.role);
    expect(during.reconnects).toBeGreaterThan(reconnectsBefore); // kept trying, with backoff
    await server.restart();
    expect(server.pid()).not.toBe(pid);
    await appendMessagesTo(server.connection(user), 'INBOX', [buildTestMessage(3)]);
    await sink.waitForUnique(3, 15_000);
    expect(sink.calls).toHaveLength(3);
    expect(source.status().reconnects).toBeGreaterThanOrEqual(2);
  });

  it('when every session fails right after connecting, then retries are spaced by the backoff, not a tight loop', async () => {
    const user = uniqueUser('missing');
    const { source } = h.createSource(user, { mailbox: 'DoesNotExist', reconnect: { initialDelayMs: 400, maxDelayMs: 800 } });
    await source.start();
    await new Promise((r) => setTimeout(r, 2_500));
    const status = source.status();
    expect(status.lastError).toBeTruthy();
    expect(status.connected).toBe(false);
    expect(status.reconnects).toBeGreaterThanOrEqual(2);
    expect(status.reconnects).toBeLessThanOrEqual(8);
  });

  it('when the connection goes silent (IDLE stops with no error), then the poll and the socket timeout bring it back', async () => {
    const user = uniqueUser('silent');
    const proxy = await startFreezableProxy(Number(process.env['TEST_IMAP_PORT']));
    try {
      const { source, sink } = h.createSource(user, {
        connection: { ...testImapConnection(user), port: proxy.port },
        pollIntervalMs: 1_000,
        socketTimeoutMs: 1_500,
      });
      await source.start();
      await appendMessages(user, [buildTestMessage(1)]);
      await sink.waitForUnique(1);
      await handled(source, 1);

      proxy.freezeAll(); // a half-open connection: nothing arrives, nothing fails
      await appendMessages(user, [buildTestMessage(2)]);
      await sink.waitForUnique(2, 15_000);
      expect(source.status().reconnects).toBeGreaterThanOrEqual(1);
      expect(sink.calls).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });
});

/** Waits until the checkpoint covers `uid` (ingested, marked on the server, checkpointed). */
async function handled(source: ImapSource, uid: number): Promise<void> {
  await eventually(() => source.status().lastUid ?? 0, (n) => n >= uid, 5_000, `UID ${uid} handled`);
}

/** A TCP proxy whose open connections can be frozen: bytes are swallowed both ways, nothing is closed. */
async function startFreezableProxy(targetPort: number): Promise<{ port: number; freezeAll(): void; close(): Promise<void> }> {
  const pairs = new Set<{ a: net.Socket; b: net.Socket; frozen: boolean }>();
  const server = net.createServer((a) => {
    const b = net.connect({ host: '127.0.0.1', port: targetPort });
    const pair = { a, b, frozen: false };
    pairs.add(pair);
    a.on('data', (d) => {
      if (!pair.frozen) b.write(d);
    });
    b.on('data', (d) => {
      if (!pair.frozen) a.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      a.destroy();
      b.destroy();
    };
    a.on('close', end).on('error', end);
    b.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    freezeAll: () => pairs.forEach((p) => (p.frozen = true)),
    close: async () => {
      pairs.forEach((p) => {
        p.a.destroy();
        p.b.destroy();
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
