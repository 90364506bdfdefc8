import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tokenMatches, verifyDummyPassword, verifyPassword } from './passwords';
import type { AuthConfig } from './web-config';

/**
 * Who is asking, and how they proved it. Sessions come from the login form (a signed, HttpOnly,
 * SameSite=Strict cookie); tokens from `Authorization: Bearer` (metrics scrapes, API clients).
 */
export interface Principal {
  name: string;
  via: 'session' | 'token';
  /** Session id (sessions only): the CSRF token is bound to it. */
  sid?: string;
}

export const SESSION_COOKIE = 'triage_session';
export const LOGIN_COOKIE = 'triage_login';

/** Separate keys for separate uses, derived from the one configured secret. */
export function deriveKey(secret: string, use: 'cookie' | 'csrf'): Buffer {
  return createHmac('sha256', secret).update(`triage-web:${use}`).digest();
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface Authenticator {
  /** Checks a user's password; null when wrong, unknown or locked out for now. */
  login(name: string, password: string, now: Date): Promise<{ ok: true; principal: Principal } | { ok: false; locked: boolean }>;
  fromBearer(header: string | undefined): Principal | null;
  /** The cookie value for a new session (sign it with the cookie plugin). */
  sessionValue(principal: Principal, now: Date): string;
  fromSession(unsignedValue: string, now: Date): Principal | null;
  csrfToken(principal: Principal): string;
  checkCsrf(principal: Principal, token: unknown): boolean;
  newLoginNonce(): string;
}

const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 15 * 60_000;

export function createAuthenticator(config: AuthConfig): Authenticator {
  const csrfKey = deriveKey(config.sessionSecret, 'csrf');
  const failures = new Map<string, { count: number; since: number }>();

  function isLocked(name: string, now: number): boolean {
    const f = failures.get(name);
    if (!f) return false;
    if (now - f.since > FAILURE_WINDOW_MS) {
      failures.delete(name);
      return false;
    }
    return f.count >= MAX_FAILURES;
  }

  function recordFailure(name: string, now: number): void {
    const f = failures.get(name);
    if (!f || now - f.since > FAILURE_WINDOW_MS) failures.set(name, { count: 1, since: now });
    else f.count += 1;
    if (failures.size > 10_000) failures.clear();
  }

  function csrfToken(principal: Principal): string {
    return createHmac('sha256', csrfKey).update(`${principal.name}|${principal.sid ?? ''}`).digest('base64url');
  }

  return {
    async login(name, password, now) {
      const key = name.toLowerCase();
      if (isLocked(key, now.getTime())) return { ok: false, locked: true };
      const user = config.users.get(name);
      const ok = user ? await verifyPassword(password, user.hash) : await verifyDummyPassword(password);
      if (!ok || !user) {
        recordFailure(key, now.getTime());
        return { ok: false, locked: false };
      }
      failures.delete(key);
      return { ok: true, principal: { name: user.name, via: 'session', sid: randomBytes(16).toString('base64url') } };
    },

    fromBearer(header) {
      const m = /^Bearer\s+([A-Za-z0-9._~+/=-]{16,512})\s*$/i.exec(header ?? '');
      if (!m) return null;
      const token = m[1] as string;
      let found: Principal | null = null;
      // Compare against every digest so timing does not tell which one matched.
      for (const t of config.tokens) if (tokenMatches(token, t.digest) && !found) found = { name: t.name, via: 'token' };
      return found;
    },

    sessionValue(principal, now) {
      return `${principal.name}|${principal.sid ?? ''}|${now.getTime() + config.sessionTtlMs}`;
    },

    fromSession(value, now) {
      const [name, sid, exp] = value.split('|');
      if (!name || !sid || !exp || !/^\d+$/.test(exp)) return null;
      if (Number(exp) <= now.getTime()) return null;
      // A user removed from the configuration loses their sessions at the next request.
      if (!config.users.has(name)) return null;
      return { name, via: 'session', sid };
    },

    csrfToken,

    checkCsrf(principal, token) {
      if (principal.via !== 'session') return true;
      return typeof token === 'string' && safeEqual(token, csrfToken(principal));
    },

    newLoginNonce() {
      return randomBytes(18).toString('base64url');
    },
  };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isUnsafeMethod(method: string): boolean {
  return UNSAFE.has(method.toUpperCase());
}

/**
 * Cross-site request check for cookie-authenticated state changes: the browser's Origin (or,
 * lacking it, the Referer) must be this host or a configured public origin. Browsers send Origin
 * on every POST, so a missing one means a non-browser client, which must use a token.
 */
export function isSameOrigin(request: FastifyRequest, allowedOrigins: readonly string[]): boolean {
  const host = request.headers.host;
  let source = request.headers.origin;
  if (!source || source === 'null') {
    const referer = request.headers.referer;
    if (!referer) return false;
    try {
      source = new URL(referer).origin;
    } catch {
      return false;
    }
  }
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return false;
  }
  if (allowedOrigins.includes(url.origin)) return true;
  return host !== undefined && url.host === host;
}

/** A `next` target after login: a local path only, never another site. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/cases';
  if (value.startsWith('/login') || /[\r\n]/.test(value)) return '/cases';
  return value;
}

export function wantsJson(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '';
  return path.startsWith('/api/') || path === '/metrics' || path.startsWith('/admin/queues/api/');
}

/** Answers a request that has no valid credentials: 401 for APIs, a redirect to the login page for pages. */
export function denyUnauthenticated(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (wantsJson(request) || (request.method !== 'GET' && request.method !== 'HEAD')) {
    return reply.code(401).header('www-authenticate', 'Bearer realm="triage"').send({ error: 'unauthorized' });
  }
  return reply.redirect(`/login?next=${encodeURIComponent(safeNext(request.url))}`, 302);
}
