/**
 * The Redis the integration tests may use: TEST_REDIS_URL, else REDIS_URL, else
 * redis://127.0.0.1:6379/15. Anything but DB 15 is refused, so a test can never flush or fill a
 * database the service uses.
 */
export const TEST_REDIS_DB = 15;
export const DEFAULT_TEST_REDIS_URL = `redis://127.0.0.1:6379/${TEST_REDIS_DB}`;

export function resolveTestRedisUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const url = env['TEST_REDIS_URL'] || env['REDIS_URL'] || DEFAULT_TEST_REDIS_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('TEST_REDIS_URL/REDIS_URL is not a valid redis:// URL');
  }
  const db = parsed.pathname.replace(/^\/+/, '') || '0';
  if (db !== String(TEST_REDIS_DB)) {
    throw new Error(
      `refusing to run the integration tests on Redis DB ${db}: only DB ${TEST_REDIS_DB} is for tests ` +
        `(set TEST_REDIS_URL=redis://host:port/${TEST_REDIS_DB}, or leave REDIS_URL unset for ${DEFAULT_TEST_REDIS_URL})`,
    );
  }
  return url;
}
