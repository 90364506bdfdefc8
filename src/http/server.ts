import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { Queue } from 'bullmq';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CATEGORIES, type Category } from '../config/schema';
import type { CaseStatus } from '../core/types';
import type { Logger } from '../log';
import {
  createAuthenticator,
  denyUnauthenticated,
  deriveKey,
  isSameOrigin,
  isUnsafeMethod,
  LOGIN_COOKIE,
  type Principal,
  safeNext,
  SESSION_COOKIE,
} from './auth';
import type { CaseConsole, CaseFilter } from './console-port';
import { DASHBOARD_PATH, isRefusedBoardAction, registerDashboard } from './dashboard';
import { checkReadiness, type Probes } from './health';
import { type GaugeSources, refreshGauges, type TriageMetrics } from './metrics';
import { parseReleaseForm, parseComplexForm, parseOmbudsmanStateForm } from './forms';
import { CASE_STATES, casePage, casesPage, CONSOLE_CSS, layout, loginPage, notFoundPage, ombudsmanPage, reviewPage } from './views';
import type { AuthConfig } from './web-config';
import type { SafeHtml } from './html';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Everything the web role needs, as ports: the server opens nothing itself. */
export interface ServerDeps {
  auth: AuthConfig;
  logger: Logger;
  /** Every queue of the pipeline, for the dashboard and the queue gauges. */
  queues: readonly Queue[];
  cases: CaseConsole;
  /** /readyz: redis, imap, smtp, queue… */
  probes: Probes;
  metrics: TriageMetrics;
  /** The IMAP poller's status when it runs in this process (the IMAP gauges). */
  imapStatus?: GaugeSources['imapStatus'];
  /** What the gauges read at scrape time; defaults to the queues, the case counts and `imapStatus`. */
  gaugeSources?: GaugeSources;
  now?: () => Date;
  /** Behind a reverse proxy that sets X-Forwarded-*. */
  trustProxy?: boolean;
}

/** Paths served without credentials: health for orchestrators, the login form and its style. */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/login', '/static/console.css', '/favicon.ico']);

const CSP_CONSOLE = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** bull-board is a React app with inline style attributes; still no inline or foreign script. */
const CSP_DASHBOARD = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
].join('; ');

const REFERENCE = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

function pathOf(url: string): string {
  return url.split('?')[0] ?? url;
}

function one(value: unknown): string | undefined {
  if (Array.isArray(value)) return one(value[0]);
  return typeof value === 'string' ? value : undefined;
}

/** Parses the list filters; unknown values are ignored rather than echoed. */
export function parseCaseFilter(query: Record<string, unknown>): CaseFilter {
  const state = one(query.state);
  const category = one(query.category);
  const q = one(query.q)?.trim().slice(0, 200);
  return {
    state: CASE_STATES.includes(state as CaseStatus) ? (state as CaseStatus) : undefined,
    category: CATEGORIES.includes(category as Category) ? (category as Category) : undefined,
    query: q ? q : undefined,
  };
}

/** Fixed flash messages selected by code, so nothing from the query string is reflected. */
const FLASH: Record<string, { kind: 'ok' | 'error'; text: string }> = {
  released: { kind: 'ok', text: 'Released: the forwards are queued for sending.' },
  complex: { kind: 'ok', text: 'Marked complex: the deadline was extended and the customer told the new one.' },
  state: { kind: 'ok', text: 'Ombudsman state changed: the customer is told.' },
};

/**
 * The web role: case console, queue dashboard, metrics and health, behind authentication.
 * Returns the Fastify instance without listening, so tests use `inject()`.
 */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const now = deps.now ?? (() => new Date());
  const auth = createAuthenticator(deps.auth);
  const log = deps.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Request lines are logged by the onResponse hook below, without query strings (they may
    // hold a NIF or an address searched for).
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy ?? false,
    bodyLimit: 256 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  });

  app.decorateRequest('principal', null);
  app.register(fastifyCookie, {
    secret: deriveKey(deps.auth.sessionSecret, 'cookie').toString('hex'),
    hook: 'onRequest',
  });
  app.register(fastifyFormbody);

  const cookieBase = { httpOnly: true, sameSite: 'strict' as const, secure: deps.auth.cookieSecure };

  function principalFromCookie(request: FastifyRequest): Principal | null {
    const raw = request.cookies[SESSION_COOKIE];
    if (!raw) return null;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || unsigned.value === null) return null;
    return auth.fromSession(unsigned.value, now());
  }

  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request.url);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    reply.header('cache-control', 'no-store');
    reply.header('content-security-policy', path.startsWith(DASHBOARD_PATH) ? CSP_DASHBOARD : CSP_CONSOLE);
    if (PUBLIC_PATHS.has(path)) {
      request.principal = principalFromCookie(request);
      return;
    }
    const bearer = request.headers.authorization;
    const principal = bearer ? auth.fromBearer(bearer) : principalFromCookie(request);
    if (!principal) return denyUnauthenticated(request, reply);
    request.principal = principal;
    if (principal.via === 'session' && isUnsafeMethod(request.method) && !isSameOrigin(request, deps.auth.allowedOrigins)) {
      request.log.warn({ msg: 'cross-site request refused', method: request.method, route: path });
      return reply.code(403).send({ error: 'cross-site request refused' });
    }
    if (isRefusedBoardAction(request.method, request.url)) {
      return reply.code(403).send({ error: 'this board action is disabled: it could send or lose mail' });
    }
    return undefined;
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.info({
      msg: 'request',
      method: request.method,
      route: request.routeOptions.url ?? '(unmatched)',
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      user: request.principal?.name,
    });
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ msg: 'request failed', err, route: request.routeOptions.url });
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : err.message });
  });

  function page(reply: FastifyReply, request: FastifyRequest, title: string, body: SafeHtml, flash?: { kind: 'ok' | 'error'; text: string }) {
    const principal = request.principal;
    const html = layout(
      { user: principal?.name ?? null, csrf: principal ? auth.csrfToken(principal) : null, path: pathOf(request.url) },
      title,
      body,
      flash,
    );
    return reply.type('text/html; charset=utf-8').send(html);
  }

  function requireCsrf(request: FastifyRequest, reply: FastifyReply): boolean {
    const principal = request.principal;
    if (!principal) return false;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const token = one(body._csrf) ?? one(request.headers['x-csrf-token']);
    if (auth.checkCsrf(principal, token)) return true;
    request.log.warn({ msg: 'csrf token refused', route: request.routeOptions.url });
    void reply.code(403).type('text/plain; charset=utf-8').send('Invalid or missing CSRF token. Reload the page and try again.');
    return false;
  }

  // Health ----------------------------------------------------------------------------------
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = await checkReadiness(deps.probes);
    return reply.code(report.ok ? 200 : 503).send({ status: report.ok ? 'ready' : 'not ready', checks: report.checks });
  });

  // Metrics ---------------------------------------------------------------------------------
  const gaugeSources: GaugeSources = deps.gaugeSources ?? {
    queues: deps.queues,
    caseCounts: (at) => deps.cases.counts(at),
    ...(deps.imapStatus ? { imapStatus: deps.imapStatus } : {}),
  };
  app.get('/metrics', async (request, reply) => {
    const failed = await refreshGauges(deps.metrics, gaugeSources, now());
    if (failed.length) request.log.warn({ msg: 'metrics sources failed', sources: failed });
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  // Static ------------------------------------------------------------------------------------
  app.get('/static/console.css', async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(CONSOLE_CSS);
  });

  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());

  // Login -------------------------------------------------------------------------------------
  function sendLogin(request: FastifyRequest, reply: FastifyReply, next: string, error: string | null, code = 200) {
    // Login CSRF: a double-submit nonce in a signed, SameSite=Strict cookie and in the form.
    // Reused while valid, so a second tab (or the browser's favicon request) keeps the form valid.
    const existing = request.cookies[LOGIN_COOKIE];
    const previous = existing ? request.unsignCookie(existing) : null;
    const nonce = previous?.valid && previous.value && /^[A-Za-z0-9_-]{20,}$/.test(previous.value) ? previous.value : auth.newLoginNonce();
    void reply.setCookie(LOGIN_COOKIE, nonce, { ...cookieBase, signed: true, path: '/login', maxAge: 1800 });
    return page(reply.code(code), request, 'Sign in', loginPage(nonce, next, error));
  }

  app.get('/login', async (request, reply) => {
    const next = safeNext(one((request.query as Record<string, unknown>).next));
    if (request.principal) return reply.redirect(next, 303);
    return sendLogin(request, reply, next, null);
  });

  app.post('/login', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = safeNext(one(body.next));
    if (!isSameOrigin(request, deps.auth.allowedOrigins)) return reply.code(403).send({ error: 'cross-site request refused' });
    const cookie = request.cookies[LOGIN_COOKIE];
    const unsigned = cookie ? request.unsignCookie(cookie) : null;
    const nonce = one(body._login);
    if (!unsigned?.valid || !nonce || unsigned.value !== nonce) {
      return sendLogin(request, reply, next, 'The form expired. Please sign in again.', 403);
    }
    const username = (one(body.username) ?? '').trim().slice(0, 64);
    const password = (one(body.password) ?? '').slice(0, 1024);
    const result = await auth.login(username, password, now());
    if (!result.ok) {
      request.log.warn({ msg: 'login refused', locked: result.locked });
      return sendLogin(request, reply, next, result.locked ? 'Too many attempts. Try again later.' : 'Wrong user or password.', result.locked ? 429 : 401);
    }
    request.log.info({ msg: 'login', user: result.principal.name });
    void reply.clearCookie(LOGIN_COOKIE, { path: '/login' });
    void reply.setCookie(SESSION_COOKIE, auth.sessionValue(result.principal, now()), {
      ...cookieBase,
      signed: true,
      path: '/',
      maxAge: Math.floor(deps.auth.sessionTtlMs / 1000),
    });
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (request, reply) => {
    if (!requireCsrf(request, reply)) return reply;
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  // Case console ----------------------------------------------------------------------------
  app.get('/', async (_request, reply) => reply.redirect('/cases', 302));

  app.get('/cases', async (request, reply) => {
    const filter = parseCaseFilter(request.query as Record<string, unknown>);
    const cases = await deps.cases.listCases({ ...filter, limit: 200 });
    return page(reply, request, 'Cases', casesPage(cases, filter));
  });

  app.get('/cases/:ref', async (request, reply) => {
    const ref = (request.params as { ref: string }).ref;
    const detail = REFERENCE.test(ref) ? await deps.cases.getCase(ref) : null;
    if (!detail) return page(reply.code(404), request, 'Not found', notFoundPage(`No case ${ref}.`));
    const flash = FLASH[one((request.query as Record<string, unknown>).done) ?? ''];
    return page(reply, request, `Case ${detail.reference}`, casePage(detail, auth.csrfToken(request.principal as Principal)), flash);
  });

  app.post('/cases/:ref/release', async (request, reply) => {
    if (!requireCsrf(request, reply)) return reply;
    const ref = (request.params as { ref: string }).ref;
    const detail = REFERENCE.test(ref) ? await deps.cases.getCase(ref) : null;
    if (!detail) return page(reply.code(404), request, 'Not found', notFoundPage(`No case ${ref}.`));
    const csrf = auth.csrfToken(request.principal as Principal);
    const form = parseReleaseForm((request.body ?? {}) as Record<string, unknown>);
    if (!form.ok) return page(reply.code(400), request, `Case ${ref}`, casePage(detail, csrf), { kind: 'error', text: form.message });
    const result = await deps.cases.releaseReview(detail.reference, { ...form.value, by: (request.principal as Principal).name });
    if (!result.ok) {
      const code = result.reason === 'not_found' ? 404 : result.reason === 'invalid' ? 400 : 409;
      return page(reply.code(code), request, `Case ${ref}`, casePage(detail, csrf), { kind: 'error', text: result.message });
    }
    request.log.info({ msg: 'review released', caseId: detail.reference, categories: form.value.categories, jobIds: result.jobIds, user: request.principal?.name });
    return reply.redirect(`/cases/${encodeURIComponent(detail.reference)}?done=released`, 303);
  });

  app.post('/cases/:ref/complex', async (request, reply) => {
    if (!requireCsrf(request, reply)) return reply;
    const ref = (request.params as { ref: string }).ref;
    const detail = REFERENCE.test(ref) ? await deps.cases.getCase(ref) : null;
    if (!detail) return page(reply.code(404), request, 'Not found', notFoundPage(`No case ${ref}.`));
    const csrf = auth.csrfToken(request.principal as Principal);
    const form = parseComplexForm((request.body ?? {}) as Record<string, unknown>);
    if (!form.ok) return page(reply.code(400), request, `Case ${ref}`, casePage(detail, csrf), { kind: 'error', text: form.message });
    const result = await deps.cases.markComplex(detail.reference, { reason: form.value.reason, by: (request.principal as Principal).name });
    if (!result.ok) {
      const code = result.reason === 'not_found' ? 404 : result.reason === 'invalid' ? 400 : 409;
      return page(reply.code(code), request, `Case ${ref}`, casePage(detail, csrf), { kind: 'error', text: result.message });
    }
    request.log.info({ msg: 'ombudsman case marked complex', caseId: detail.reference, user: request.principal?.name });
    return reply.redirect(`/cases/${encodeURIComponent(detail.reference)}?done=complex`, 303);
  });

  app.post('/cases/:ref/ombudsman-state', async (request, reply) => {
    if (!requireCsrf(request, reply)) return reply;
    const ref = (request.params as { ref: string }).ref;
    const detail = REFERENCE.test(ref) ? await deps.cases.getCase(ref) : null;
    if (!detail) return page(reply.code(404), request, 'Not found', notFoundPage(`No case ${ref}.`));
    const csrf = auth.csrfToken(request.principal as Principal);
    const form = parseOmbudsmanStateForm((request.body ?? {}) as Record<string, unknown>);
    if (!form.ok) return page(reply.code(400), request, `Case ${ref}`, casePage(detail, csrf), { kind: 'error', text: form.message });
    const result = await deps.cases.changeOmbudsmanState(detail.reference, { state: form.value.state, by: (request.principal as Principal).name });
    if (!result.ok) {
      const code = result.reason === 'not_found' ? 404 : result.reason === 'invalid' ? 409 : 400;
      return page(reply.code(code), request, `Case ${ref}`, casePage(detail, csrf), { kind: 'error', text: result.message });
    }
    request.log.info({ msg: 'ombudsman state changed', caseId: detail.reference, state: result.state, user: request.principal?.name });
    return reply.redirect(`/cases/${encodeURIComponent(detail.reference)}?done=state`, 303);
  });

  app.get('/review', async (request, reply) => page(reply, request, 'Review', reviewPage(await deps.cases.listReview())));
  app.get('/ombudsman', async (request, reply) => page(reply, request, 'Ombudsman', ombudsmanPage(await deps.cases.listOmbudsman(now()))));

  // JSON API (Bearer tokens or a session; state changes need the CSRF header with a session) ------
  app.get('/api/cases', async (request) => deps.cases.listCases({ ...parseCaseFilter(request.query as Record<string, unknown>), limit: 500 }));
  app.get('/api/cases/:ref', async (request, reply) => {
    const ref = (request.params as { ref: string }).ref;
    const detail = REFERENCE.test(ref) ? await deps.cases.getCase(ref) : null;
    return detail ?? reply.code(404).send({ error: 'not found' });
  });
  app.get('/api/review', async () => deps.cases.listReview());
  app.get('/api/ombudsman', async () => deps.cases.listOmbudsman(now()));
  app.post('/api/cases/:ref/release', async (request, reply) => {
    if (!requireCsrf(request, reply)) return reply;
    const ref = (request.params as { ref: string }).ref;
    if (!REFERENCE.test(ref)) return reply.code(404).send({ error: 'not found' });
    const form = parseReleaseForm((request.body ?? {}) as Record<string, unknown>);
    if (!form.ok) return reply.code(400).send({ error: form.message });
    const result = await deps.cases.releaseReview(ref, { ...form.value, by: (request.principal as Principal).name });
    if (!result.ok) return reply.code(result.reason === 'not_found' ? 404 : result.reason === 'invalid' ? 400 : 409).send({ error: result.message });
    request.log.info({ msg: 'review released', caseId: ref, categories: form.value.categories, jobIds: result.jobIds, user: request.principal?.name });
    return { released: true, jobIds: result.jobIds };
  });

  app.post('/api/cases/:ref/ombudsman-state', async (request, reply) => {
    if (!requireCsrf(request, reply)) return reply;
    const ref = (request.params as { ref: string }).ref;
    if (!REFERENCE.test(ref)) return reply.code(404).send({ error: 'not found' });
    const form = parseOmbudsmanStateForm((request.body ?? {}) as Record<string, unknown>);
    if (!form.ok) return reply.code(400).send({ error: form.message });
    const result = await deps.cases.changeOmbudsmanState(ref, { state: form.value.state, by: (request.principal as Principal).name });
    if (!result.ok) return reply.code(result.reason === 'not_found' ? 404 : result.reason === 'invalid' ? 409 : 400).send({ error: result.message });
    request.log.info({ msg: 'ombudsman state changed', caseId: ref, state: result.state, user: request.principal?.name });
    return { state: result.state, deadline: result.deadline };
  });
  app.post('/api/cases/:ref/complex', async (request, reply) => {
    if (!requireCsrf(request, reply)) return reply;
    const ref = (request.params as { ref: string }).ref;
    if (!REFERENCE.test(ref)) return reply.code(404).send({ error: 'not found' });
    const form = parseComplexForm((request.body ?? {}) as Record<string, unknown>);
    if (!form.ok) return reply.code(400).send({ error: form.message });
    const result = await deps.cases.markComplex(ref, { reason: form.value.reason, by: (request.principal as Principal).name });
    if (!result.ok) return reply.code(result.reason === 'not_found' ? 404 : result.reason === 'invalid' ? 409 : 400).send({ error: result.message });
    request.log.info({ msg: 'ombudsman case marked complex', caseId: ref, user: request.principal?.name });
    return { deadline: result.deadline };
  });

  // Queue dashboard ---------------------------------------------------------------------------
  registerDashboard(app, deps.queues);

  app.setNotFoundHandler(async (request, reply) => {
    if (pathOf(request.url).startsWith('/api/')) return reply.code(404).send({ error: 'not found' });
    return page(reply.code(404), request, 'Not found', notFoundPage('No such page.'));
  });

  return app;
}
