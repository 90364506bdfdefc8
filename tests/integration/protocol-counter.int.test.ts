import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createProtocolCounter } from '../../src/adapters/protocol-counter';

/** The test Redis: DB 15 only, never a database the service uses. */
const TEST_DB = 15;
const REDIS_URL = process.env.REDIS_URL ?? `redis://127.0.0.1:6379/${TEST_DB}`;
const CONNECTIONS = 6;

function connect(): Redis {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  if (redis.options.db !== TEST_DB) throw new Error(`refusing to run against Redis DB ${redis.options.db}: tests use DB ${TEST_DB}`);
  return redis;
}

describe('createProtocolCounter', () => {
  const prefix = `test:${randomUUID()}`;
  const connections: Redis[] = [];

  beforeAll(async () => {
    for (let i = 0; i < CONNECTIONS; i++) {
      const redis = connect();
      await redis.connect();
      connections.push(redis);
    }
  });

  afterAll(async () => {
    const [first] = connections;
    if (first) {
      const keys = await first.keys(`${prefix}:*`);
      if (keys.length > 0) await first.del(...keys);
    }
    await Promise.all(connections.map((redis) => redis.quit()));
  });

  it('when nothing was allocated, then the current number is 0', async () => {
    const counter = createProtocolCounter(connections[0]!, prefix);
    expect(await counter.current(2030)).toBe(0);
  });

  it('when many cases allocate at once from several connections, then every number is unique and none is skipped', async () => {
    const counters = connections.map((redis) => createProtocolCounter(redis, prefix));
    const total = 1200;
    const numbers = await Promise.all(
      Array.from({ length: total }, (_, i) => counters[i % counters.length]!.allocate(2026, `MO-2026-${i}`)),
    );
    expect(new Set(numbers).size).toBe(total);
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(await counters[0]!.current(2026)).toBe(total);
  });

  it('when the same case asks again from several connections at once (a retried job), then it keeps one number', async () => {
    const counters = connections.map((redis) => createProtocolCounter(redis, prefix));
    const numbers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => counters[i % counters.length]!.allocate(2027, 'MO-2027-000777')),
    );
    expect(new Set(numbers)).toEqual(new Set([1]));
    expect(await counters[0]!.allocate(2027, 'MO-2027-000778')).toBe(2);
    expect(await counters[1]!.current(2027)).toBe(2);
  });

  it('when a new year starts, then its sequence starts at 1 and the previous year is untouched', async () => {
    const counter = createProtocolCounter(connections[2]!, prefix);
    expect(await counter.allocate(2028, 'MO-2028-000001')).toBe(1);
    expect(await counter.allocate(2028, 'MO-2028-000002')).toBe(2);
    expect(await counter.current(2026)).toBe(1200);
    expect(await connections[0]!.exists(`${prefix}:protocol:2028`)).toBe(1);
  });

  it('when another prefix is used, then its counters are independent', async () => {
    const other = createProtocolCounter(connections[3]!, `${prefix}:other`);
    expect(await other.allocate(2026, 'MO-2026-0')).toBe(1);
  });

  it.each([
    ['a two-digit year', 26, 'MO-1'],
    ['an empty case id', 2026, ''],
  ])('when given %s, then it refuses before touching Redis', async (_label, year, caseId) => {
    const counter = createProtocolCounter(connections[0]!, prefix);
    await expect(counter.allocate(year, caseId)).rejects.toThrow(RangeError);
  });
});
