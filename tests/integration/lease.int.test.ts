import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { tryAcquireLease, type Lease, type LeaseLossReason } from '../../src/adapters/lease';
import { resolveTestRedisUrl } from '../helpers/test-redis-url';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tryAcquireLease', () => {
  let redis: Redis;
  const leases: Lease[] = [];
  const keys: string[] = [];
  const newKey = () => {
    const key = `test:lease:${randomBytes(6).toString('hex')}`;
    keys.push(key);
    return key;
  };
  const track = (lease: Lease | null) => {
    if (lease) leases.push(lease);
    return lease;
  };

  beforeAll(() => {
    redis = new Redis(resolveTestRedisUrl());
  });
  afterEach(async () => {
    await Promise.all(leases.splice(0).map((l) => l.release()));
    if (keys.length) await redis.del(...keys.splice(0));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('when the key is free, then one holder gets it and a second gets null until it is released', async () => {
    const key = newKey();
    const a = track(await tryAcquireLease(redis, { key, ttlMs: 5_000, owner: 'a' }));
    expect(a).not.toBeNull();
    expect(a!.isHeld()).toBe(true);
    expect(await redis.get(key)).toBe(a!.token);
    expect(a!.token.startsWith('a:')).toBe(true);
    expect(await tryAcquireLease(redis, { key, ttlMs: 5_000, owner: 'b' })).toBeNull();
    await a!.release();
    expect(a!.isHeld()).toBe(false);
    expect(a!.signal.aborted).toBe(true);
    const b = track(await tryAcquireLease(redis, { key, ttlMs: 5_000, owner: 'b' }));
    expect(b).not.toBeNull();
  });

  it('when held longer than its TTL, then renewal keeps it', async () => {
    const key = newKey();
    const lease = track(await tryAcquireLease(redis, { key, ttlMs: 300 }))!;
    await sleep(1_000);
    expect(lease.isHeld()).toBe(true);
    expect(await redis.get(key)).toBe(lease.token);
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
  });

  it('when someone else takes the key, then the holder learns it lost the lease and release leaves the new holder alone', async () => {
    const key = newKey();
    const reasons: LeaseLossReason[] = [];
    const lease = track(await tryAcquireLease(redis, { key, ttlMs: 600, onLost: (r) => reasons.push(r) }))!;
    await redis.set(key, 'intruder', 'PX', 10_000);
    await sleep(500);
    expect(reasons).toEqual(['taken']);
    expect(lease.isHeld()).toBe(false);
    expect(lease.signal.aborted).toBe(true);
    expect(await lease.renew()).toBe(false);
    await lease.release();
    expect(await redis.get(key)).toBe('intruder');
  });

  it('when the key expires meanwhile, then the next renewal reports it taken', async () => {
    const key = newKey();
    const reasons: LeaseLossReason[] = [];
    const lease = track(await tryAcquireLease(redis, { key, ttlMs: 5_000, renewEveryMs: 60_000, onLost: (r) => reasons.push(r) }))!;
    await redis.del(key);
    expect(await lease.renew()).toBe(false);
    expect(reasons).toEqual(['taken']);
  });

  it('when Redis cannot confirm renewals, then the lease counts as lost before its TTL could run out', async () => {
    const key = newKey();
    const own = new Redis(resolveTestRedisUrl());
    const reasons: LeaseLossReason[] = [];
    const lease = track(await tryAcquireLease(own, { key, ttlMs: 800, safetyMarginMs: 200, onLost: (r) => reasons.push(r) }))!;
    const acquiredAt = Date.now();
    own.disconnect();
    while (lease.isHeld() && Date.now() - acquiredAt < 2_000) await sleep(10);
    const lostAfter = Date.now() - acquiredAt;
    expect(lease.isHeld()).toBe(false);
    expect(lostAfter).toBeLessThan(800);
    await sleep(50);
    expect(reasons).toEqual(['unconfirmed']);
  });

  it('when the TTL is too short to be meaningful, then it is refused', async () => {
    await expect(tryAcquireLease(redis, { key: newKey(), ttlMs: 10 })).rejects.toThrow(RangeError);
  });
});
