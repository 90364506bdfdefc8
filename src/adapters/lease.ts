import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../log';

/**
 * A lease in Redis: one holder at a time for a key, kept alive by renewal, given up by release or
 * lost when it cannot be renewed in time. Acquire is `SET key token NX PX ttl`; renew and release
 * are compare-and-extend / compare-and-delete scripts, so a holder never touches a lease that has
 * passed to someone else. The holder stops trusting its lease before the TTL can have run out in
 * Redis (`safetyMarginMs`), so two holders never both believe they hold it.
 */

export interface LeaseOptions {
  key: string;
  ttlMs: number;
  /** How often to renew; default ttlMs / 3. */
  renewEveryMs?: number;
  /** Give up this long before the TTL could have run out in Redis; default min(1 s, ttlMs / 5). */
  safetyMarginMs?: number;
  /** Who holds it, for operators reading the key; a random suffix is always added. */
  owner?: string;
  logger?: Logger;
  clock?: { now(): number };
  /** Called once when the lease is lost (not on release). */
  onLost?: (reason: LeaseLossReason) => void;
}

/** `taken`: the key holds another token or none; `unconfirmed`: renewals failed until the lease ran out. */
export type LeaseLossReason = 'taken' | 'unconfirmed';

export interface Lease {
  readonly key: string;
  readonly token: string;
  /** True while the lease is held and known to be valid. */
  isHeld(): boolean;
  /** Aborted when the lease is lost or released. */
  readonly signal: AbortSignal;
  /** Renews now; false if the lease is no longer ours. */
  renew(): Promise<boolean>;
  /** Gives the lease up (compare-and-delete); never throws. */
  release(): Promise<void>;
}

// KEYS[1] lease key; ARGV[1] token, ARGV[2] ttl ms. 1 when extended, 0 when not ours.
const EXTEND_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

// KEYS[1] lease key; ARGV[1] token. 1 when deleted, 0 when not ours.
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** Tries once to take the lease; null when someone else holds it. Redis errors are thrown. */
export async function tryAcquireLease(redis: Redis, options: LeaseOptions): Promise<Lease | null> {
  const clock = options.clock ?? { now: () => Date.now() };
  const ttlMs = options.ttlMs;
  if (!Number.isFinite(ttlMs) || ttlMs < 100) throw new RangeError('lease ttlMs must be at least 100');
  const renewEveryMs = options.renewEveryMs ?? Math.max(10, Math.floor(ttlMs / 3));
  const safetyMarginMs = options.safetyMarginMs ?? Math.min(1_000, Math.floor(ttlMs / 5));
  const token = `${options.owner ?? defaultOwner()}:${randomBytes(8).toString('hex')}`;

  const requestedAt = clock.now();
  const ok = await redis.set(options.key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return null;

  const controller = new AbortController();
  let state: 'held' | 'lost' | 'released' = 'held';
  // Counted from when the request was sent: Redis started the TTL no earlier than that.
  let validUntil = requestedAt + ttlMs - safetyMarginMs;
  let renewTimer: NodeJS.Timeout | null = null;
  let expiryTimer: NodeJS.Timeout | null = null;
  let renewing: Promise<boolean> | null = null;

  const clearTimers = (): void => {
    if (renewTimer) clearTimeout(renewTimer);
    if (expiryTimer) clearTimeout(expiryTimer);
    renewTimer = expiryTimer = null;
  };

  const lose = (reason: LeaseLossReason): void => {
    if (state !== 'held') return;
    state = 'lost';
    clearTimers();
    options.logger?.warn({ msg: 'lease lost', lease: options.key, reason });
    controller.abort(new Error(`lease ${options.key} lost (${reason})`));
    try {
      options.onLost?.(reason);
    } catch (err) {
      options.logger?.error({ msg: 'lease onLost listener failed', err });
    }
  };

  // Fires when the lease can no longer be trusted, whatever the renewals are doing (a Redis
  // command may hang for as long as the client keeps retrying it).
  const armExpiry = (): void => {
    if (expiryTimer) clearTimeout(expiryTimer);
    expiryTimer = setTimeout(() => lose('unconfirmed'), Math.max(0, validUntil - clock.now()));
    expiryTimer.unref?.();
  };

  const renewOnce = async (): Promise<boolean> => {
    if (state !== 'held') return false;
    const sentAt = clock.now();
    try {
      const extended = await redis.eval(EXTEND_SCRIPT, 1, options.key, token, String(ttlMs));
      if (state !== 'held') return false;
      if (Number(extended) !== 1) {
        lose('taken');
        return false;
      }
      validUntil = Math.max(validUntil, sentAt + ttlMs - safetyMarginMs);
      armExpiry();
      return true;
    } catch (err) {
      options.logger?.warn({ msg: 'lease renewal failed', lease: options.key, err });
      if (clock.now() >= validUntil) lose('unconfirmed');
      return state === 'held';
    }
  };

  const renew = (): Promise<boolean> => {
    renewing ??= renewOnce().finally(() => {
      renewing = null;
    });
    return renewing;
  };

  const scheduleRenewal = (): void => {
    if (state !== 'held') return;
    renewTimer = setTimeout(() => {
      void renew().finally(scheduleRenewal);
    }, renewEveryMs);
    renewTimer.unref?.();
  };

  armExpiry();
  scheduleRenewal();

  return {
    key: options.key,
    token,
    signal: controller.signal,
    isHeld: () => state === 'held' && clock.now() < validUntil,
    renew,
    release: async () => {
      if (state === 'released') return;
      state = 'released';
      clearTimers();
      if (!controller.signal.aborted) controller.abort(new Error(`lease ${options.key} released`));
      // Compare-and-delete is safe whoever holds the key now. Bounded: a client that queues
      // commands while Redis is away must not hold up a shutdown; the key expires on its own.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.min(ttlMs, 2_000));
      });
      try {
        const outcome = await Promise.race([redis.eval(RELEASE_SCRIPT, 1, options.key, token), timeout]);
        if (outcome === 'timeout') options.logger?.warn({ msg: 'lease release timed out', lease: options.key });
      } catch (err) {
        options.logger?.warn({ msg: 'lease release failed', lease: options.key, err });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function defaultOwner(): string {
  return `${os.hostname()}:${process.pid}`;
}
