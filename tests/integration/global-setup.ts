import { Redis } from 'ioredis';
import { startDovecot, type DovecotHandle } from '../../src/dev/dovecot';
import { resolveTestRedisUrl } from '../helpers/test-redis-url';

/**
 * Once per integration run: check the test Redis answers (DB 15 only) and start a private
 * Dovecot. Exported to the tests through the environment: TEST_REDIS_URL, TEST_IMAP_HOST,
 * TEST_IMAP_PORT, TEST_IMAP_PASSWORD, TEST_DOVECOT_CONFIG.
 */
export default async function globalSetup(): Promise<void> {
  const redisUrl = resolveTestRedisUrl(process.env);
  await pingRedis(redisUrl);
  process.env['TEST_REDIS_URL'] = redisUrl;

  const dovecot = await startDovecot();
  (globalThis as { __TRIAGE_DOVECOT__?: DovecotHandle }).__TRIAGE_DOVECOT__ = dovecot;
  process.env['TEST_IMAP_HOST'] = dovecot.host;
  process.env['TEST_IMAP_PORT'] = String(dovecot.port);
  process.env['TEST_IMAP_PASSWORD'] = dovecot.password;
  process.env['TEST_DOVECOT_CONFIG'] = dovecot.configPath;
}

async function pingRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 3_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`unexpected PING answer ${pong}`);
  } catch (err) {
    throw new Error(`the integration tests need Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')}: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
