import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password and token hashes kept in configuration. Passwords: scrypt with a random salt, stored
 * as `scrypt:N:r:p:<salt>:<hash>` (base64url, no `$`, so the value survives shells and compose
 * files unquoted). API tokens are long random strings, so a SHA-256 digest is enough:
 * `sha256:<hex>`.
 */

export const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1, keyLength: 32 } as const;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** Parses `scrypt:N:r:p:salt:hash`; null when the text is not such a hash. */
export function parseScryptHash(text: string): ScryptHash | null {
  const m = /^scrypt:(\d+):(\d+):(\d+):([A-Za-z0-9_-]{16,}):([A-Za-z0-9_-]{32,})$/.exec(text.trim());
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // N must be a power of two above 1 (node:crypto refuses anything else).
  if (N < 1024 || (N & (N - 1)) !== 0 || r < 1 || p < 1) return null;
  return { N, r, p, salt: Buffer.from(m[4] as string, 'base64url'), hash: Buffer.from(m[5] as string, 'base64url') };
}

export async function hashPassword(password: string, params: { N: number; r: number; p: number } = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT_DEFAULTS.keyLength, { ...params, maxmem: 256 * params.N * params.r });
  return `scrypt:${params.N}:${params.r}:${params.p}:${salt.toString('base64url')}:${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: ScryptHash): Promise<boolean> {
  const key = await scryptAsync(password, stored.salt, stored.hash.length, {
    N: stored.N,
    r: stored.r,
    p: stored.p,
    maxmem: 256 * stored.N * stored.r,
  });
  return key.length === stored.hash.length && timingSafeEqual(key, stored.hash);
}

/** A fixed hash to verify against when the user is unknown, so timing does not tell names apart. */
const DUMMY: ScryptHash = {
  ...SCRYPT_DEFAULTS,
  salt: Buffer.alloc(16, 7),
  hash: Buffer.alloc(32, 7),
};
export function verifyDummyPassword(password: string): Promise<boolean> {
  return verifyPassword(password, DUMMY).then(() => false);
}

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** Compares a presented token with a stored `sha256:<hex>` digest in constant time. */
export function tokenMatches(token: string, storedDigest: string): boolean {
  const a = Buffer.from(hashToken(token), 'utf8');
  const b = Buffer.from(storedDigest, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
