import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors';
import { parseScryptHash, type ScryptHash } from './passwords';

/**
 * The web role's part of the environment. Secrets (password hashes, token digests, the session
 * secret) come from the environment or from a file named there (a mounted secret), never from
 * the rules files. The caller passes the environment in; nothing here reads `process.env`.
 *
 *   TRIAGE_WEB_USERS        `name:scrypt:N:r:p:salt:hash` entries, separated by commas or new lines
 *   TRIAGE_WEB_USERS_FILE   a file with the same entries, one per line (`#` comments allowed)
 *   TRIAGE_WEB_TOKENS       `name:sha256:<hex>` entries for Bearer tokens (metrics scrapes, API)
 *   TRIAGE_WEB_SESSION_SECRET  at least 32 characters; signs session cookies and CSRF tokens
 *
 * `triage hash-password` prints an entry for a user (or, with --token, a new token and its entry).
 */

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const WebEnvSchema = z.object({
  TRIAGE_WEB_HOST: z.string().min(1).default('0.0.0.0'),
  /** Shared with the rest of the service (src/config/env.ts reads the same variable). */
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  TRIAGE_WEB_USERS: z.string().default(''),
  TRIAGE_WEB_USERS_FILE: z.string().min(1).optional(),
  TRIAGE_WEB_TOKENS: z.string().default(''),
  TRIAGE_WEB_SESSION_SECRET: z.string().min(32, 'must be at least 32 characters'),
  TRIAGE_WEB_SESSION_HOURS: z.coerce.number().positive().max(24 * 7).default(8),
  /** Secure cookies need HTTPS; turn off only for plain-HTTP development on localhost. */
  TRIAGE_WEB_COOKIE_SECURE: flag.default(true),
  /** Public origins (scheme://host[:port]) accepted in the Origin header besides the Host's own. */
  TRIAGE_WEB_ORIGINS: z.string().default(''),
});

export interface WebUser {
  name: string;
  hash: ScryptHash;
}

export interface WebToken {
  name: string;
  /** `sha256:<hex>` of the token. */
  digest: string;
}

export interface AuthConfig {
  users: ReadonlyMap<string, WebUser>;
  tokens: readonly WebToken[];
  sessionSecret: string;
  sessionTtlMs: number;
  cookieSecure: boolean;
  allowedOrigins: readonly string[];
}

export interface WebConfig {
  host: string;
  port: number;
  auth: AuthConfig;
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

function splitEntries(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

/** Parses user entries; problems go to `issues` (the entry's hash is never echoed). */
export function parseUserEntries(text: string, key: string, issues: ConfigIssue[]): WebUser[] {
  const users: WebUser[] = [];
  splitEntries(text).forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon) : '';
    const hash = parseScryptHash(colon > 0 ? entry.slice(colon + 1) : '');
    if (!NAME.test(name) || !hash) {
      issues.push({ file: 'env', key, message: `entry ${i + 1} is not name:scrypt:N:r:p:salt:hash (make one with \`triage hash-password\`)` });
      return;
    }
    users.push({ name, hash });
  });
  return users;
}

export function parseTokenEntries(text: string, key: string, issues: ConfigIssue[]): WebToken[] {
  const tokens: WebToken[] = [];
  splitEntries(text).forEach((entry, i) => {
    const m = /^([^:]+):(sha256:[0-9a-f]{64})$/.exec(entry);
    if (!m || !NAME.test(m[1] as string)) {
      issues.push({ file: 'env', key, message: `entry ${i + 1} is not name:sha256:<64 hex> (make one with \`triage hash-password --token\`)` });
      return;
    }
    tokens.push({ name: m[1] as string, digest: m[2] as string });
  });
  return tokens;
}

function parseOrigins(text: string, issues: ConfigIssue[]): string[] {
  return splitEntries(text).flatMap((o) => {
    try {
      const url = new URL(o);
      if (url.origin === 'null' || !/^https?:$/.test(url.protocol)) throw new Error('not http(s)');
      return [url.origin];
    } catch {
      issues.push({ file: 'env', key: 'TRIAGE_WEB_ORIGINS', message: `${JSON.stringify(o)} is not an origin like https://triage.example.pt` });
      return [];
    }
  });
}

/**
 * Validates the web section of the environment once, at boot. Throws ConfigError listing every
 * problem. Requires at least one user or token: a console nobody can open is a mistake.
 */
export function loadWebConfig(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): WebConfig {
  const issues: ConfigIssue[] = [];
  const parsed = WebEnvSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push({ file: 'env', key: issue.path.join('.'), message: issue.message });
    }
    throw new ConfigError(issues);
  }
  const e = parsed.data;
  const users = parseUserEntries(e.TRIAGE_WEB_USERS, 'TRIAGE_WEB_USERS', issues);
  if (e.TRIAGE_WEB_USERS_FILE) {
    let text = '';
    try {
      text = readFile(e.TRIAGE_WEB_USERS_FILE);
    } catch (err) {
      issues.push({ file: 'env', key: 'TRIAGE_WEB_USERS_FILE', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
    }
    users.push(...parseUserEntries(text, 'TRIAGE_WEB_USERS_FILE', issues));
  }
  const tokens = parseTokenEntries(e.TRIAGE_WEB_TOKENS, 'TRIAGE_WEB_TOKENS', issues);
  const byName = new Map<string, WebUser>();
  for (const user of users) {
    if (byName.has(user.name)) issues.push({ file: 'env', key: 'TRIAGE_WEB_USERS', message: `user ${user.name} is defined twice` });
    byName.set(user.name, user);
  }
  if (users.length === 0 && tokens.length === 0 && issues.length === 0) {
    issues.push({ file: 'env', key: 'TRIAGE_WEB_USERS', message: 'no user and no token: set TRIAGE_WEB_USERS, TRIAGE_WEB_USERS_FILE or TRIAGE_WEB_TOKENS' });
  }
  const allowedOrigins = parseOrigins(e.TRIAGE_WEB_ORIGINS, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    host: e.TRIAGE_WEB_HOST,
    port: e.PORT,
    auth: {
      users: byName,
      tokens,
      sessionSecret: e.TRIAGE_WEB_SESSION_SECRET,
      sessionTtlMs: e.TRIAGE_WEB_SESSION_HOURS * 3600_000,
      cookieSecure: e.TRIAGE_WEB_COOKIE_SECURE,
      allowedOrigins,
    },
  };
}
