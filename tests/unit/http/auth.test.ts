import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../../src/errors';
import { safeNext } from '../../../src/http/auth';
import { generateToken, hashPassword, hashToken, parseScryptHash, tokenMatches, verifyPassword } from '../../../src/http/passwords';
import { loadWebConfig } from '../../../src/http/web-config';
import { HOST, login, PASSWORD, SECRET, TOKEN, testServer, type TestServer } from './fixtures';

/** Every route the server answers, as [method, path] with parameters filled in. */
function listRoutes(app: FastifyInstance): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─\s]*)(\S.*?) \(([^)]+)\)$/.exec(line) ?? /^([│├└─\s]*)(\S.*)$/.exec(line);
    if (!m) continue;
    const depth = Math.floor((m[1] as string).length / 4);
    const segment = m[2] as string;
    const parent = depth > 0 ? (stack[depth - 1] ?? '') : '';
    const full = depth === 0 ? segment : parent.endsWith('/') || segment.startsWith('/') ? parent + segment : `${parent}/${segment}`;
    stack[depth] = full;
    stack.length = depth + 1;
    if (!m[3]) continue;
    for (const method of m[3].split(',').map((s) => s.trim())) {
      const path = full
        .replace(':ref', 'MO-2026-000001')
        .replace(':queueName', 'classify')
        .replace(':jobId', 'job1')
        .replace(':queueStatus', 'failed')
        .replace(':schedulerId', 's1')
        .replace(/\*$/, 'static/js/main.js');
      out.push([method, path]);
    }
  }
  return out;
}

const PUBLIC = new Set(['/healthz', '/readyz', '/login', '/static/console.css', '/favicon.ico']);

describe('buildServer authentication', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await testServer();
  });
  afterAll(async () => {
    await s.app.close();
  });

  it('when the route table is read, then it holds the console, the API, metrics and the dashboard', () => {
    const paths = listRoutes(s.app).map(([, p]) => p);
    for (const p of ['/cases', '/cases/MO-2026-000001', '/review', '/ombudsman', '/metrics', '/api/cases', '/admin/queues', '/admin/queues/api/queues']) {
      expect(paths).toContain(p);
    }
    expect(paths.length).toBeGreaterThan(40);
  });

  it('when any route but health and login is asked without credentials, then it answers 401 or redirects to /login', async () => {
    const checked: string[] = [];
    for (const [method, path] of listRoutes(s.app)) {
      if (PUBLIC.has(path)) continue;
      const res = await s.app.inject({ method: method as 'GET', url: path, headers: { host: HOST } });
      const isJson = path.startsWith('/api/') || path === '/metrics' || path.startsWith('/admin/queues/api/');
      if ((method === 'GET' || method === 'HEAD') && !isJson) {
        expect([method, path, res.statusCode]).toEqual([method, path, 302]);
        expect(res.headers.location).toMatch(/^\/login\?next=/);
      } else {
        expect([method, path, res.statusCode]).toEqual([method, path, 401]);
      }
      checked.push(`${method} ${path}`);
    }
    expect(checked.length).toBeGreaterThan(40);
  });

  it('when an unknown path is asked without credentials, then it does not say whether it exists', async () => {
    const page = await s.app.inject({ url: '/nothing-here', headers: { host: HOST } });
    expect(page.statusCode).toBe(302);
    const api = await s.app.inject({ url: '/api/nothing', headers: { host: HOST } });
    expect(api.statusCode).toBe(401);
  });

  it('when the health endpoints are asked without credentials, then they answer', async () => {
    expect((await s.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await s.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('when a valid Bearer token is sent, then the API and metrics answer', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    expect((await s.app.inject({ url: '/metrics', headers })).statusCode).toBe(200);
    expect((await s.app.inject({ url: '/api/cases', headers })).statusCode).toBe(200);
  });

  it('when a wrong Bearer token is sent, then it is 401 even with a session cookie', async () => {
    const { cookie } = await login(s.app);
    const res = await s.app.inject({ url: '/api/cases', headers: { authorization: `Bearer ${TOKEN}x`, cookie } });
    expect(res.statusCode).toBe(401);
  });

  it('when the right password is given, then a signed HttpOnly SameSite=Strict session cookie is set', async () => {
    const form = await s.app.inject({ url: '/login', headers: { host: HOST } });
    const nonce = /name="_login" value="([^"]+)"/.exec(form.body)?.[1] as string;
    const loginCookie = form.cookies.find((c) => c.name === 'triage_login')!;
    const res = await s.app.inject({
      method: 'POST',
      url: '/login',
      headers: { host: HOST, origin: `http://${HOST}`, cookie: `triage_login=${loginCookie.value}` },
      payload: { username: 'ana', password: PASSWORD, _login: nonce, next: '/review' },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/review');
    const session = res.cookies.find((c) => c.name === 'triage_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(session.value).not.toContain(PASSWORD);
  });

  it('when the password is wrong, then 401 and no session', async () => {
    const form = await s.app.inject({ url: '/login', headers: { host: HOST } });
    const nonce = /name="_login" value="([^"]+)"/.exec(form.body)?.[1] as string;
    const loginCookie = form.cookies.find((c) => c.name === 'triage_login')!;
    const res = await s.app.inject({
      method: 'POST',
      url: '/login',
      headers: { host: HOST, origin: `http://${HOST}`, cookie: `triage_login=${loginCookie.value}` },
      payload: { username: 'ana', password: 'wrong', _login: nonce },
    });
    expect(res.statusCode).toBe(401);
    expect(res.cookies.find((c) => c.name === 'triage_session')).toBeUndefined();
    expect(res.body).toContain('Wrong user or password');
  });

  it('when the login form comes without its nonce or from another site, then it is refused', async () => {
    const noNonce = await s.app.inject({
      method: 'POST',
      url: '/login',
      headers: { host: HOST, origin: `http://${HOST}` },
      payload: { username: 'ana', password: PASSWORD },
    });
    expect(noNonce.statusCode).toBe(403);
    const crossSite = await s.app.inject({
      method: 'POST',
      url: '/login',
      headers: { host: HOST, origin: 'https://evil.example' },
      payload: { username: 'ana', password: PASSWORD },
    });
    expect(crossSite.statusCode).toBe(403);
  });

  it('when the login form is opened again (another tab, the favicon), then the first form stays valid', async () => {
    const first = await s.app.inject({ url: '/login', headers: { host: HOST } });
    const nonce = /name="_login" value="([^"]+)"/.exec(first.body)?.[1] as string;
    const cookie = `triage_login=${first.cookies.find((c) => c.name === 'triage_login')!.value}`;
    expect((await s.app.inject({ url: '/favicon.ico', headers: { host: HOST, cookie } })).statusCode).toBe(204);
    const second = await s.app.inject({ url: '/login', headers: { host: HOST, cookie } });
    expect(second.body).toContain(`value="${nonce}"`);
    const res = await s.app.inject({
      method: 'POST',
      url: '/login',
      headers: { host: HOST, origin: `http://${HOST}`, cookie },
      payload: { username: 'ana', password: PASSWORD, _login: nonce },
    });
    expect(res.statusCode).toBe(303);
  });

  it('when a session cookie is tampered with, then it is not accepted', async () => {
    const { cookie } = await login(s.app);
    const forged = cookie.replace('triage_session=ana', 'triage_session=bruno');
    const res = await s.app.inject({ url: '/cases', headers: { host: HOST, cookie: forged } });
    expect(res.statusCode).toBe(302);
  });

  it('when a session has expired, then it is not accepted', async () => {
    const t = await testServer({ now: () => new Date('2026-01-01T00:00:00Z') });
    const { cookie } = await login(t.app);
    await t.app.close();
    const later = await testServer({ now: () => new Date('2026-01-01T02:00:00Z') });
    const res = await later.app.inject({ url: '/cases', headers: { host: HOST, cookie } });
    expect(res.statusCode).toBe(302);
    await later.app.close();
  });

  it('when a user fails ten times, then the next attempt is refused for a while, even with the right password', async () => {
    const t = await testServer();
    for (let i = 0; i < 10; i += 1) {
      await expect(login(t.app, 'ana', 'wrong')).rejects.toThrow('login failed: 401');
    }
    await expect(login(t.app, 'ana', PASSWORD)).rejects.toThrow('login failed: 429');
    await t.app.close();
  });

  it('when signed in, then the pages answer and logout needs the CSRF token', async () => {
    const { cookie, csrf } = await login(s.app);
    expect((await s.app.inject({ url: '/cases', headers: { host: HOST, cookie } })).statusCode).toBe(200);
    const noToken = await s.app.inject({ method: 'POST', url: '/logout', headers: { host: HOST, origin: `http://${HOST}`, cookie }, payload: {} });
    expect(noToken.statusCode).toBe(403);
    const out = await s.app.inject({ method: 'POST', url: '/logout', headers: { host: HOST, origin: `http://${HOST}`, cookie }, payload: { _csrf: csrf } });
    expect(out.statusCode).toBe(303);
    expect(out.cookies.find((c) => c.name === 'triage_session')?.value).toBe('');
  });
});

describe('hashPassword', () => {
  it('when a password is hashed, then it verifies and a wrong one does not', async () => {
    const stored = parseScryptHash(await hashPassword('s3cret-pass', { N: 1024, r: 8, p: 1 }))!;
    expect(stored).not.toBeNull();
    await expect(verifyPassword('s3cret-pass', stored)).resolves.toBe(true);
    await expect(verifyPassword('s3cret-pasS', stored)).resolves.toBe(false);
  });

  it('when the same password is hashed twice, then the salts differ', async () => {
    const a = await hashPassword('x', { N: 1024, r: 8, p: 1 });
    const b = await hashPassword('x', { N: 1024, r: 8, p: 1 });
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt:1024:8:1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
  });

  it('when a hash is malformed, then it is not parsed', () => {
    expect(parseScryptHash('scrypt:1000:8:1:abcdefghijklmnopqrstuv:abcdefghijklmnopqrstuvwxyzabcdefghijklmno')).toBeNull();
    expect(parseScryptHash('plaintext')).toBeNull();
  });
});

describe('hashToken', () => {
  it('when a token is hashed, then only the same token matches', () => {
    const token = generateToken();
    expect(tokenMatches(token, hashToken(token))).toBe(true);
    expect(tokenMatches(`${token}x`, hashToken(token))).toBe(false);
  });
});

describe('loadWebConfig', () => {
  it('when users, tokens and a secret are set, then they are parsed', async () => {
    const hash = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
    const config = loadWebConfig({
      TRIAGE_WEB_USERS: `ana:${hash}, bruno:${hash}`,
      TRIAGE_WEB_TOKENS: `prometheus:${hashToken(TOKEN)}`,
      TRIAGE_WEB_SESSION_SECRET: SECRET,
      TRIAGE_WEB_ORIGINS: 'https://triage.example.pt',
    });
    expect([...config.auth.users.keys()]).toEqual(['ana', 'bruno']);
    expect(config.auth.tokens.map((t) => t.name)).toEqual(['prometheus']);
    expect(config.auth.cookieSecure).toBe(true);
    expect(config.auth.allowedOrigins).toEqual(['https://triage.example.pt']);
    expect(config.port).toBe(8080);
  });

  it('when the users file is named, then its entries are read', async () => {
    const hash = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
    const config = loadWebConfig(
      { TRIAGE_WEB_USERS_FILE: '/run/secrets/users', TRIAGE_WEB_SESSION_SECRET: SECRET },
      () => `# agents\ncarla:${hash}\n`,
    );
    expect([...config.auth.users.keys()]).toEqual(['carla']);
  });

  it('when everything is wrong, then every problem is listed and no secret is echoed', () => {
    let error: unknown;
    try {
      loadWebConfig({ TRIAGE_WEB_USERS: 'ana:plain-password', TRIAGE_WEB_TOKENS: 'x:abc', TRIAGE_WEB_SESSION_SECRET: SECRET, TRIAGE_WEB_ORIGINS: 'nope' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.map((i) => i.key);
    expect(issues).toEqual(['TRIAGE_WEB_USERS', 'TRIAGE_WEB_TOKENS', 'TRIAGE_WEB_ORIGINS']);
    expect((error as Error).message).not.toContain('plain-password');
  });

  it('when the session secret is short or nobody can sign in, then it refuses to start', () => {
    expect(() => loadWebConfig({ TRIAGE_WEB_SESSION_SECRET: 'short' })).toThrow(/TRIAGE_WEB_SESSION_SECRET/);
    expect(() => loadWebConfig({ TRIAGE_WEB_SESSION_SECRET: SECRET })).toThrow(/no user and no token/);
  });
});

describe('safeNext', () => {
  it.each([
    ['/cases?state=review', '/cases?state=review'],
    ['//evil.example/x', '/cases'],
    ['https://evil.example', '/cases'],
    ['/\\evil.example', '/cases'],
    ['/login', '/cases'],
    [undefined, '/cases'],
  ])('when next is %j, then it goes to %j', (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });
});
