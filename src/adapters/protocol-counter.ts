import type { Redis } from 'ioredis';

/**
 * Allocates ombudsman protocol sequence numbers (policy §4), one counter per year, with Redis
 * INCR so that concurrent classifiers on several connections never hand out the same number.
 *
 * Allocation is idempotent per case: a retried job asking again for the same case gets the number
 * it already has (architecture habit 7), instead of burning a new one. Numbers may still have gaps
 * (a case whose processing fails for good after allocating), never duplicates.
 */
export interface ProtocolCounter {
  /** The sequence number of `caseId` in `year`: allocated on first call, the same on every later one. */
  allocate(year: number, caseId: string): Promise<number>;
  /** The last number allocated in `year` (0 when none). */
  current(year: number): Promise<number>;
}

/** KEYS[1] counter, KEYS[2] case → number hash; ARGV[1] case id. Atomic in Redis. */
const ALLOCATE_SCRIPT = `
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return tonumber(existing) end
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], seq)
return seq
`;

/**
 * Keys: `{prefix}:protocol:{year}` (the counter) and `{prefix}:protocol:{year}:cases` (which case
 * holds which number). Opens nothing: the Redis connection is the caller's.
 */
export function createProtocolCounter(redis: Redis, prefix: string): ProtocolCounter {
  const counterKey = (year: number): string => `${prefix}:protocol:${checkYear(year)}`;
  return {
    async allocate(year: number, caseId: string): Promise<number> {
      if (caseId === '') throw new RangeError('protocol counter: empty case id');
      const key = counterKey(year);
      const seq = await redis.eval(ALLOCATE_SCRIPT, 2, key, `${key}:cases`, caseId);
      return Number(seq);
    },
    async current(year: number): Promise<number> {
      const value = await redis.get(counterKey(year));
      return value === null ? 0 : Number(value);
    },
  };
}

function checkYear(year: number): number {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) {
    throw new RangeError(`protocol counter: year must have four digits, got ${year}`);
  }
  return year;
}
