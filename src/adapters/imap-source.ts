import { ImapFlow, type FetchMessageObject } from 'imapflow';
import type { Redis } from 'ioredis';
import { TriageError } from '../errors';
import type { Logger } from '../log';
import { describeImapEndpoint, type ImapConnectionOptions } from './imap-url';
import { tryAcquireLease, type Lease } from './lease';
import { createMailboxCheckpointStore, type MailboxCheckpoint } from './mailbox-checkpoint';
import type { IngestMeta, IngestSink, MailSource, MailSourceStatus } from './ports';

/**
 * The IMAP side of the service (imapflow). One connection per mailbox, held only by the replica
 * that holds the mailbox's lease in Redis. It IDLEs, polls as a fallback, and runs its own
 * reconnect loop with backoff: imapflow does not reconnect, and IDLE can stop without an error
 * (imapflow issues 14, 98).
 *
 * Per message: `sink.ingest(raw)` → only once that resolved (durable in Redis) the message is
 * marked handled on the server (moved to a folder or flagged) → the checkpoint (UIDVALIDITY + last
 * UID handled) advances. A crash anywhere in between repeats the message, never loses it, and the
 * sink's deduplication absorbs the repeat (policy §7: each message processed once, nothing lost).
 */

export type MarkHandled = { mode: 'move'; folder: string } | { mode: 'flag'; keyword: string };

export interface ImapSourceOptions {
  connection: ImapConnectionOptions;
  /** Default INBOX. */
  mailbox?: string;
  /** Default: move to `Triaged` (created if missing), so a person sees what was taken. */
  markHandled?: MarkHandled;
  /** Larger messages are never fetched whole (see `oversized`); they are still ingested. */
  maxMessageBytes: number;
  /**
   * `placeholder` (default): ingest a small message with the original headers and an
   * `X-Triage-Oversized` header giving size, limit and UID; the original stays on the server in
   * the handled folder. `full`: ingest the whole message anyway.
   */
  oversized?: 'placeholder' | 'full';
  /** Fallback poll while IDLE is quiet. Default 30 s. */
  pollIntervalMs?: number;
  /** Messages fetched, ingested and marked per round. Default 100. */
  batchSize?: number;
  /** Ingests in flight at once within a batch. Default 8. */
  ingestConcurrency?: number;
  /** Lease TTL in Redis (renewed every third). Default 30 s. */
  leaseTtlMs?: number;
  /** How often a standby replica tries to take the lease. Default leaseTtlMs / 3. */
  standbyRetryMs?: number;
  /** Reconnect backoff: initial delay doubled per failed attempt up to max, with jitter. Defaults 1 s, 60 s. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** imapflow socket inactivity timeout. Default 90 s. */
  socketTimeoutMs?: number;
  /** imapflow connection (TCP + TLS) timeout. Default 30 s. */
  connectionTimeoutMs?: number;
  /** Bound on LOGOUT at shutdown. Default 5 s. */
  logoutTimeoutMs?: number;
  /**
   * How long stop() lets the batch in flight finish before closing the connection under it (the
   * unmarked part is taken again later; the sink drops the repeat). Default 10 s.
   */
  stopTimeoutMs?: number;
  /** start() resolves after the first round or after this long, whichever comes first. Default 10 s. */
  startWaitMs?: number;
  /** Prefix of the Redis keys (lease and checkpoint). Default `triage`. */
  keyPrefix?: string;
  /** Who holds the lease (for operators); default host:pid. */
  owner?: string;
}

export interface ImapSourceDeps {
  sink: IngestSink;
  redis: Redis;
  logger: Logger;
  clock?: { now(): Date | number };
  /** For the backoff jitter (tests). */
  random?: () => number;
}

/**
 * `standby`: another replica holds the mailbox's lease (healthy, just not polling); `connecting`:
 * lease held, IMAP session being opened; `active`: connected and polling; `backoff`: waiting to
 * reconnect after a failure.
 */
export type ImapSourceRole = 'stopped' | 'starting' | 'standby' | 'connecting' | 'active' | 'backoff';

export interface ImapSourceStatus extends MailSourceStatus {
  role: ImapSourceRole;
  /** The last failure since the last successful poll (a successful poll clears it). */
  lastError: string | null;
  /** imap://user@host:port/MAILBOX, no password. */
  endpoint: string;
  mailbox: string;
  uidValidity: string | null;
  lastUid: number | null;
  /** Counters since start. */
  ingested: number;
  duplicates: number;
  oversized: number;
  /** Connections opened after the first. */
  reconnects: number;
  nextRetryAt: Date | null;
}

export interface ImapSource extends MailSource {
  status(): ImapSourceStatus;
  /** Checks the mailbox now instead of waiting for IDLE or the poll (standing by: tries the lease now). */
  poke(): void;
}

/** The header an oversized message's placeholder carries: `size=N; limit=L; mailbox=…; uidvalidity=V; uid=U`. */
export const OVERSIZED_HEADER = 'X-Triage-Oversized';

export const IMAP_SOURCE_DEFAULTS = {
  mailbox: 'INBOX',
  markHandled: { mode: 'move', folder: 'Triaged' } as MarkHandled,
  oversized: 'placeholder' as const,
  pollIntervalMs: 30_000,
  batchSize: 100,
  ingestConcurrency: 8,
  leaseTtlMs: 30_000,
  reconnectInitialDelayMs: 1_000,
  reconnectMaxDelayMs: 60_000,
  socketTimeoutMs: 90_000,
  connectionTimeoutMs: 30_000,
  logoutTimeoutMs: 5_000,
  stopTimeoutMs: 10_000,
  startWaitMs: 10_000,
  keyPrefix: 'triage',
};

export function createImapSource(options: ImapSourceOptions, deps: ImapSourceDeps): ImapSource {
  const mailbox = options.mailbox ?? IMAP_SOURCE_DEFAULTS.mailbox;
  const mark = options.markHandled ?? IMAP_SOURCE_DEFAULTS.markHandled;
  const oversizedMode = options.oversized ?? IMAP_SOURCE_DEFAULTS.oversized;
  const pollIntervalMs = options.pollIntervalMs ?? IMAP_SOURCE_DEFAULTS.pollIntervalMs;
  const batchSize = Math.max(1, options.batchSize ?? IMAP_SOURCE_DEFAULTS.batchSize);
  const ingestConcurrency = Math.max(1, options.ingestConcurrency ?? IMAP_SOURCE_DEFAULTS.ingestConcurrency);
  const leaseTtlMs = options.leaseTtlMs ?? IMAP_SOURCE_DEFAULTS.leaseTtlMs;
  const standbyRetryMs = options.standbyRetryMs ?? Math.max(50, Math.floor(leaseTtlMs / 3));
  const backoff = {
    initialMs: options.reconnect?.initialDelayMs ?? IMAP_SOURCE_DEFAULTS.reconnectInitialDelayMs,
    maxMs: options.reconnect?.maxDelayMs ?? IMAP_SOURCE_DEFAULTS.reconnectMaxDelayMs,
  };
  const logoutTimeoutMs = options.logoutTimeoutMs ?? IMAP_SOURCE_DEFAULTS.logoutTimeoutMs;
  const stopTimeoutMs = options.stopTimeoutMs ?? IMAP_SOURCE_DEFAULTS.stopTimeoutMs;
  const startWaitMs = options.startWaitMs ?? IMAP_SOURCE_DEFAULTS.startWaitMs;
  const keyPrefix = options.keyPrefix ?? IMAP_SOURCE_DEFAULTS.keyPrefix;
  if (!(options.maxMessageBytes > 0)) throw new RangeError('maxMessageBytes must be positive');
  if (mark.mode === 'move' && mark.folder === mailbox) throw new RangeError('the handled folder must differ from the mailbox');

  const { sink, redis } = deps;
  const log = deps.logger.child({ component: 'imap' });
  const nowMs = (): number => +(deps.clock?.now() ?? Date.now());
  const random = deps.random ?? Math.random;
  const endpoint = describeImapEndpoint({ ...options.connection, mailbox });
  // Identifies the mailbox in Redis keys; no password in it.
  const mailboxId = `${options.connection.auth.user}@${options.connection.host}:${options.connection.port}/${mailbox}`;
  const leaseKey = `${keyPrefix}:imap:lease:${mailboxId}`;
  const checkpoints = createMailboxCheckpointStore(redis, { keyPrefix });
  const source = `imap:${mailbox}`;

  const state: ImapSourceStatus = {
    connected: false,
    lastPollAt: null,
    lastError: null,
    role: 'stopped',
    endpoint,
    mailbox,
    uidValidity: null,
    lastUid: null,
    ingested: 0,
    duplicates: 0,
    oversized: 0,
    reconnects: 0,
    nextRetryAt: null,
  };

  const wakeup = new Wakeup();
  let stopping = false;
  let running: Promise<void> | null = null;
  let sessions = 0;
  let firstCycle: Deferred | null = null;
  // The session's connection, for stop(): closed at once while connecting, after stopTimeoutMs otherwise.
  let activeClient: ImapFlow | null = null;
  let connecting = false;

  const recordError = (err: unknown): void => {
    state.lastError = err instanceof Error ? err.message : String(err);
  };
  const firstCycleDone = (): void => {
    firstCycle?.resolve();
    firstCycle = null;
  };

  async function run(): Promise<void> {
    let lease: Lease | null = null;
    let attempt = 0;
    try {
      while (!stopping) {
        if (!lease || !lease.isHeld()) {
          if (lease) await lease.release(); // lost: stop its timers (compare-and-delete is harmless)
          lease = null;
          try {
            lease = await tryAcquireLease(redis, {
              key: leaseKey,
              ttlMs: leaseTtlMs,
              logger: log,
              clock: { now: nowMs },
              ...(options.owner ? { owner: options.owner } : {}),
            });
          } catch (err) {
            recordError(err);
            log.warn({ msg: 'could not reach Redis for the mailbox lease', err });
          }
          if (!lease) {
            if (state.role !== 'standby') log.info({ msg: 'standing by: another poller holds the mailbox', mailbox });
            state.role = 'standby';
            firstCycleDone();
            await wakeup.wait(standbyRetryMs);
            continue;
          }
          log.info({ msg: 'mailbox lease acquired, polling', mailbox });
        }
        state.role = 'connecting';
        state.nextRetryAt = null;
        try {
          await runSession(lease, () => {
            attempt = 0;
          });
        } catch (err) {
          recordError(err);
          firstCycleDone();
          if (!stopping) log.warn({ msg: 'IMAP session ended', mailbox, err });
        }
        if (stopping) break;
        if (!lease.isHeld()) continue;
        const delay = computeBackoff(attempt++, backoff.initialMs, backoff.maxMs, random);
        state.role = 'backoff';
        state.nextRetryAt = new Date(nowMs() + delay);
        log.info({ msg: 'reconnecting', mailbox, attempt, delayMs: delay });
        await wakeup.wait(delay);
      }
    } finally {
      if (lease) await lease.release();
      state.role = 'stopped';
      state.connected = false;
      state.nextRetryAt = null;
      firstCycleDone();
    }
  }

  async function runSession(lease: Lease, onHealthy: () => void): Promise<void> {
    if (sessions++ > 0) state.reconnects++;
    const client = new ImapFlow({
      ...options.connection,
      logger: imapflowLogger(log),
      disableAutoIdle: true,
      socketTimeout: options.socketTimeoutMs ?? IMAP_SOURCE_DEFAULTS.socketTimeoutMs,
      connectionTimeout: options.connectionTimeoutMs ?? IMAP_SOURCE_DEFAULTS.connectionTimeoutMs,
      maxLockHoldTime: false,
    });
    let closed = false;
    // Once the session is over its client's events must not wake the loop: a leftover wake-up
    // would cut the reconnect backoff short.
    let ended = false;
    let idleGeneration = 0;
    let reselect = false;
    client.on('error', (err: Error) => {
      if (ended) return;
      recordError(err);
      log.warn({ msg: 'IMAP connection error', err });
    });
    client.on('close', () => {
      closed = true;
      if (!ended) wakeup.notify('close');
    });
    client.on('exists', (event) => {
      if (!ended && event.count > event.prevCount) wakeup.notify('exists');
    });
    const onLeaseLost = (): void => wakeup.notify('lease-lost');
    lease.signal.addEventListener('abort', onLeaseLost);
    activeClient = client;
    try {
      connecting = true;
      try {
        await client.connect();
      } finally {
        connecting = false;
      }
      state.connected = true;
      state.role = 'active';
      log.info({ msg: 'IMAP connected', endpoint });
      if (mark.mode === 'move') await ensureFolder(client, mark.folder);
      for (;;) {
        if (stopping || !lease.isHeld()) return;
        if (closed) throw new TriageError('TRIAGE_IMAP', 'the IMAP connection was closed', { context: { mailbox } });
        wakeup.clear();
        idleGeneration++; // our own commands break the IDLE below: that end is not a wake-up
        await syncMailbox(client, lease, reselect);
        reselect = false;
        state.lastPollAt = new Date(nowMs());
        state.lastError = null;
        onHealthy();
        firstCycleDone();
        if (stopping || !lease.isHeld() || closed || wakeup.pending) continue;
        // IDLE right away (imapflow would wait 15 s): new mail must be seen within ~1 s.
        const generation = ++idleGeneration;
        client.idle({ whenFree: true }).then(
          () => {
            if (!ended && generation === idleGeneration) wakeup.notify('idle-ended');
          },
          () => {
            if (!ended && generation === idleGeneration) wakeup.notify('idle-failed');
          },
        );
        reselect = (await wakeup.wait(pollIntervalMs)) === 'timer';
      }
    } finally {
      ended = true;
      lease.signal.removeEventListener('abort', onLeaseLost);
      state.connected = false;
      await closeClient(client, closed);
      activeClient = null;
    }
  }

  async function closeClient(client: ImapFlow, closed: boolean): Promise<void> {
    if (closed || !client.usable) {
      client.close();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.logout(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, logoutTimeoutMs);
        }),
      ]);
    } catch {
      // closing anyway
    } finally {
      clearTimeout(timer);
      client.close();
    }
  }

  async function syncMailbox(client: ImapFlow, lease: Lease, reselect: boolean): Promise<void> {
    const lock = await client.getMailboxLock(mailbox);
    try {
      // A mailbox deleted and recreated under a selected session goes silent on Dovecot (no BYE,
      // no EXISTS; STATUS and FETCH answer from the old view): the fallback poll selects it anew.
      if (reselect) await client.mailboxOpen(mailbox);
      const selected = client.mailbox;
      if (!selected) throw new TriageError('TRIAGE_IMAP', 'mailbox not selected', { context: { mailbox } });
      const uidValidity = selected.uidValidity.toString();
      const stored = await checkpoints.load(mailboxId);
      let checkpoint: MailboxCheckpoint;
      if (stored && stored.uidValidity === uidValidity) {
        checkpoint = stored;
      } else {
        if (stored) {
          log.warn({
            msg: 'UIDVALIDITY changed: rescanning the whole mailbox (the sink drops what it already has)',
            mailbox,
            previous: stored.uidValidity,
            uidValidity,
          });
        }
        checkpoint = { uidValidity, lastUid: 0, uidNext: selected.uidNext, updatedAt: nowMs() };
        await saveCheckpoint(checkpoint, lease);
      }
      const from = checkpoint.lastUid;
      state.uidValidity = uidValidity;
      state.lastUid = checkpoint.lastUid;
      if (selected.exists === 0) return;

      // `n:*` with n above the highest UID still returns the last message: filter on uid > last.
      const listed = await client.fetchAll(`${from + 1}:*`, { uid: true, size: true, flags: true }, { uid: true });
      const pending = listed.filter((m) => m.uid > from).sort((a, b) => a.uid - b.uid);
      for (let i = 0; i < pending.length; i += batchSize) {
        if (stopping) break;
        if (!lease.isHeld()) throw lockLost();
        await handleBatch(client, lease, checkpoint, pending.slice(i, i + batchSize));
      }
    } finally {
      lock.release();
    }
  }

  async function handleBatch(
    client: ImapFlow,
    lease: Lease,
    checkpoint: MailboxCheckpoint,
    batch: FetchMessageObject[],
  ): Promise<void> {
    const uidValidity = checkpoint.uidValidity;
    const ingested = new Set<number>();
    const settled = new Set<number>(); // handled before (flag mode) or gone from the mailbox
    const failures: unknown[] = [];
    const whole: number[] = [];
    const large: FetchMessageObject[] = [];
    for (const m of batch) {
      if (mark.mode === 'flag' && m.flags?.has(mark.keyword)) settled.add(m.uid);
      else if ((m.size ?? 0) > options.maxMessageBytes && oversizedMode === 'placeholder') large.push(m);
      else whole.push(m.uid);
    }

    const ingest = async (uid: number, raw: Buffer): Promise<void> => {
      try {
        const meta: IngestMeta = { source, uid, uidValidity, receivedAt: new Date(nowMs()) };
        const receipt = await sink.ingest(raw, meta);
        ingested.add(uid);
        state.ingested++;
        if (receipt.duplicate) state.duplicates++;
        log.debug({ msg: 'message ingested', uid, jobId: receipt.jobId, duplicate: receipt.duplicate });
      } catch (err) {
        failures.push(err);
        log.warn({ msg: 'ingest failed; the message stays unhandled and is retried', uid, err });
      }
    };

    const sizes = new Map(batch.map((m) => [m.uid, m.size ?? 0]));
    for (const chunk of chunkBySize(whole, (uid) => sizes.get(uid) ?? 0, FETCH_BYTES_PER_COMMAND)) {
      const wanted = new Set(chunk);
      const seen = new Set<number>();
      const inFlight = new Set<Promise<void>>();
      try {
        for await (const msg of client.fetch(compressUids(chunk), { uid: true, source: true }, { uid: true })) {
          if (!wanted.has(msg.uid) || seen.has(msg.uid)) continue;
          seen.add(msg.uid);
          if (!msg.source) {
            failures.push(new TriageError('TRIAGE_IMAP', 'FETCH returned no message source', { context: { uid: msg.uid } }));
            continue;
          }
          if (msg.source.length > options.maxMessageBytes) state.oversized++;
          const task: Promise<void> = ingest(msg.uid, msg.source).finally(() => inFlight.delete(task));
          inFlight.add(task);
          if (inFlight.size >= ingestConcurrency) await Promise.race(inFlight);
        }
      } finally {
        await Promise.allSettled(inFlight);
      }
      for (const uid of chunk) {
        if (!seen.has(uid)) {
          // Expunged by someone else between listing and fetching: nothing left to take.
          log.warn({ msg: 'message vanished before it could be fetched', uid });
          settled.add(uid);
        }
      }
    }

    for (const m of large) {
      const head = await client.fetchOne(String(m.uid), { uid: true, headers: true }, { uid: true });
      if (!head) {
        settled.add(m.uid);
        continue;
      }
      state.oversized++;
      log.warn({ msg: 'oversized message: ingesting a placeholder, the original stays on the server', uid: m.uid, size: m.size, limit: options.maxMessageBytes });
      await ingest(
        m.uid,
        buildOversizedPlaceholder({
          headers: head.headers ?? Buffer.alloc(0),
          size: m.size ?? 0,
          limit: options.maxMessageBytes,
          mailbox,
          uidValidity,
          uid: m.uid,
          keptIn: mark.mode === 'move' ? mark.folder : mailbox,
        }),
      );
    }

    const toMark = batch.map((m) => m.uid).filter((uid) => ingested.has(uid));
    if (toMark.length > 0) {
      if (!lease.isHeld()) throw lockLost();
      const range = compressUids(toMark);
      if (mark.mode === 'move') {
        const moved = await client.messageMove(range, mark.folder, { uid: true });
        if (!moved) throw new TriageError('TRIAGE_IMAP', 'could not move handled messages', { context: { mailbox, folder: mark.folder } });
      } else {
        const flagged = await client.messageFlagsAdd(range, ['\\Seen', mark.keyword], { uid: true, silent: true });
        if (!flagged) throw new TriageError('TRIAGE_IMAP', 'could not flag handled messages', { context: { mailbox } });
      }
    }

    // The checkpoint covers the longest run of handled UIDs: a failed one is fetched again.
    let lastUid = checkpoint.lastUid;
    for (const m of batch) {
      if (ingested.has(m.uid) || settled.has(m.uid)) lastUid = m.uid;
      else break;
    }
    if (lastUid > checkpoint.lastUid) {
      checkpoint.lastUid = lastUid;
      checkpoint.updatedAt = nowMs();
      const selected = client.mailbox;
      if (selected) {
        checkpoint.uidNext = selected.uidNext;
        if (selected.highestModseq !== undefined) checkpoint.highestModseq = selected.highestModseq.toString();
      }
      await saveCheckpoint(checkpoint, lease);
      state.lastUid = lastUid;
    }
    log.info({ msg: 'batch handled', mailbox, count: toMark.length, lastUid: checkpoint.lastUid, failed: failures.length });
    if (failures.length > 0) throw failures[0];
  }

  async function saveCheckpoint(checkpoint: MailboxCheckpoint, lease: Lease): Promise<void> {
    const stored = await checkpoints.save(mailboxId, checkpoint, { key: leaseKey, token: lease.token });
    if (stored === null) throw lockLost();
  }

  function lockLost(): TriageError {
    return new TriageError('TRIAGE_LOCK_LOST', 'the mailbox lease was lost; another poller takes over', { context: { mailbox } });
  }

  return {
    async start() {
      if (running) return;
      stopping = false;
      state.role = 'starting';
      const first = deferred();
      firstCycle = first;
      running = run()
        .catch((err) => {
          recordError(err);
          log.error({ msg: 'IMAP source stopped on an unexpected error', err });
        })
        .finally(() => {
          running = null;
        });
      // Resolves once the first round is over (polled, standing by or failed), or after
      // startWaitMs (Redis or the server slow to answer): never throws, the loop keeps retrying.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        first.promise,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, startWaitMs);
        }),
      ]);
      clearTimeout(timer);
    },
    async stop() {
      stopping = true;
      wakeup.notify('stop');
      const loop = running;
      if (!loop) return;
      if (connecting) activeClient?.close();
      const force = setTimeout(() => {
        log.warn({ msg: 'stop: closing the IMAP connection with a batch still in flight', mailbox });
        activeClient?.close();
      }, stopTimeoutMs);
      let giveUp: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        loop.then(() => true),
        new Promise<boolean>((resolve) => {
          giveUp = setTimeout(() => resolve(false), stopTimeoutMs + logoutTimeoutMs);
        }),
      ]);
      clearTimeout(force);
      clearTimeout(giveUp);
      if (finished) log.info({ msg: 'IMAP source stopped', mailbox });
      else log.warn({ msg: 'IMAP source still waiting on Redis at stop; giving up waiting', mailbox });
    },
    status: () => ({ ...state }),
    poke: () => wakeup.notify('poke'),
  };
}

/** One FETCH asks for at most this many bytes of message sources (imapflow buffers a response). */
const FETCH_BYTES_PER_COMMAND = 32 * 1024 * 1024;

/** Splits items into consecutive chunks of at most `maxBytes` (an item larger than that goes alone). */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Exponential backoff with jitter: a delay in [base/2, base], base = min(max, initial·2^attempt). */
export function computeBackoff(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Sorted UIDs → an IMAP sequence set with ranges (`1:3,5,7:9`), so a batch stays a short command. */
export function compressUids(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(start === end ? String(start) : `${start}:${end}`);
    i++;
  }
  return parts.join(',');
}

export interface OversizedPlaceholderInput {
  /** The original header block as fetched (`BODY[HEADER]`). */
  headers: Buffer;
  size: number;
  limit: number;
  mailbox: string;
  uidValidity: string;
  uid: number;
  /** Where the original can be found once handled. */
  keptIn: string;
}

const MAX_PLACEHOLDER_HEADER_BYTES = 64 * 1024;
const DROPPED_HEADERS = new Set([
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
  'content-length',
  'mime-version',
  OVERSIZED_HEADER.toLowerCase(),
]);

/**
 * A small stand-in for a message over the size limit: the original headers (so threading,
 * sender and Message-ID deduplication still work), `X-Triage-Oversized` with the facts, and a
 * plain-text note. Deterministic for the same input, so a repeat deduplicates by bytes too.
 */
export function buildOversizedPlaceholder(input: OversizedPlaceholderInput): Buffer {
  const text = input.headers.subarray(0, MAX_PLACEHOLDER_HEADER_BYTES).toString('latin1');
  const fields: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1] += `\r\n${line}`;
    else fields.push(line);
  }
  const kept = fields.filter((f) => {
    const name = f.slice(0, f.indexOf(':')).trim().toLowerCase();
    return f.includes(':') && !DROPPED_HEADERS.has(name);
  });
  const mailboxParam = input.mailbox.replace(/[\r\n";]/g, '_');
  kept.push(
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    `${OVERSIZED_HEADER}: size=${input.size}; limit=${input.limit}; mailbox="${mailboxParam}"; uidvalidity=${input.uidValidity}; uid=${input.uid}`,
  );
  const body =
    `This message is ${input.size} bytes, over the ${input.limit}-byte limit, and was not fetched.\r\n` +
    `The original is kept on the mail server in "${input.keptIn.replace(/[\r\n]/g, ' ')}" ` +
    `(taken from "${input.mailbox.replace(/[\r\n]/g, ' ')}", UIDVALIDITY ${input.uidValidity}, UID ${input.uid}).\r\n`;
  return Buffer.concat([Buffer.from(`${kept.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body, 'utf8')]);
}

/** Reads `X-Triage-Oversized` (as written by buildOversizedPlaceholder); null when absent or malformed. */
export function parseOversizedHeader(value: string | undefined | null): { size: number; limit: number; uid: number } | null {
  if (!value) return null;
  const size = /(?:^|;)\s*size=(\d+)/.exec(value)?.[1];
  const limit = /(?:^|;)\s*limit=(\d+)/.exec(value)?.[1];
  const uid = /(?:^|;)\s*uid=(\d+)/.exec(value)?.[1];
  if (!size || !limit) return null;
  return { size: Number(size), limit: Number(limit), uid: Number(uid ?? 0) };
}

async function ensureFolder(client: ImapFlow, folder: string): Promise<void> {
  const status = await client.status(folder, { messages: true }).catch(() => false as const);
  if (status) return;
  await client.mailboxCreate(folder);
}

/** imapflow's own log: warnings and errors only (its debug output echoes protocol lines). */
function imapflowLogger(log: Logger): { debug(o: unknown): void; info(o: unknown): void; warn(o: unknown): void; error(o: unknown): void } {
  const forward =
    (level: 'warn' | 'error') =>
    (entry: unknown): void => {
      const e = (entry ?? {}) as { msg?: unknown; err?: unknown; code?: unknown };
      log[level]({
        msg: `imapflow: ${typeof e.msg === 'string' ? e.msg : 'event'}`,
        ...(e.err instanceof Error ? { err: e.err } : {}),
        ...(typeof e.code === 'string' ? { code: e.code } : {}),
      });
    };
  const ignore = (): void => undefined;
  return { debug: ignore, info: ignore, warn: forward('warn'), error: forward('error') };
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Wakes the poll loop: IDLE news, the poll timer, stop, lease loss. A notify while nobody waits is kept. */
class Wakeup {
  private pendingReason: string | null = null;
  private waiter: ((reason: string) => void) | null = null;

  get pending(): boolean {
    return this.pendingReason !== null;
  }

  notify(reason: string): void {
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = null;
      wake(reason);
    } else {
      this.pendingReason ??= reason;
    }
  }

  clear(): void {
    this.pendingReason = null;
  }

  wait(timeoutMs: number): Promise<string> {
    if (this.pendingReason !== null) {
      const reason = this.pendingReason;
      this.pendingReason = null;
      return Promise.resolve(reason);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve('timer');
      }, timeoutMs);
      this.waiter = (reason) => {
        clearTimeout(timer);
        resolve(reason);
      };
    });
  }
}
