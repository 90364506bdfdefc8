import { Redis } from 'ioredis';
import { runE2e } from '../../src/bench/e2e';
import { formatE2e } from '../../src/bench/e2e-report';
import { resolveTestRedisUrl } from '../helpers/test-redis-url';

jest.setTimeout(60_000);

/** The end-to-end bench section on a few messages: it runs, measures both pipelines and leaves nothing in Redis. */
describe('runE2e', () => {
  it('when run on a few messages, then the service and the bare pipeline drain them all and the steady phase has latencies', async () => {
    const redisUrl = resolveTestRedisUrl();
    const redis = new Redis(redisUrl);
    try {
      const before = new Set(await redis.keys('bench-*'));
      const result = await runE2e({ count: 40, seed: 7, rate: 10, steadySeconds: 1, redisUrl });
      expect(result.skipped).toBeNull();
      expect(result.service).toMatchObject({ messages: 40 });
      expect(result.bare).toMatchObject({ messages: 40, mails: 40 });
      expect(result.service!.mails).toBeGreaterThan(0);
      expect(result.steady!.messages).toBe(10);
      expect(result.steady!.p99Ms).not.toBeNull();
      expect(result.ratio).toBeGreaterThan(0);
      expect(formatE2e(result)).toContain('ratio service/bare');
      expect((await redis.keys('bench-*')).filter((k) => !before.has(k))).toEqual([]);
    } finally {
      await redis.quit();
    }
  });

  it('when Redis does not answer, then it is skipped with the reason', async () => {
    const result = await runE2e({ count: 5, seed: 7, rate: 10, steadySeconds: 1, redisUrl: 'redis://127.0.0.1:1/15' });
    expect(result.skipped).toMatch(/no Redis/);
    expect(formatE2e(result)).toMatch(/skipped/);
  });
});
