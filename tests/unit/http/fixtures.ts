import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { CaseConsole, CaseDetail, OmbudsmanCase, ReleaseInput } from '../../../src/http/console-port';
import { createMetrics } from '../../../src/http/metrics';
import { hashPassword, hashToken } from '../../../src/http/passwords';
import { buildServer, type ServerDeps } from '../../../src/http/server';
import type { AuthConfig } from '../../../src/http/web-config';
import { createLogger } from '../../../src/log';

export const PASSWORD = 'correct horse battery staple';
export const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyz';
export const SECRET = 'a-session-secret-of-at-least-32-characters!';
export const HOST = 'triage.test';

/** A customer message meant to run script if it were not escaped. */
export const HOSTILE_TEXT = 'Bom dia <script>alert("x")</script><img src=x onerror=alert(1)> "quoted" & \'single\'';

export async function authConfig(): Promise<AuthConfig> {
  const hash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  const { parseScryptHash } = await import('../../../src/http/passwords');
  return {
    users: new Map([['ana', { name: 'ana', hash: parseScryptHash(hash)! }]]),
    tokens: [{ name: 'prometheus', digest: hashToken(TOKEN) }],
    sessionSecret: SECRET,
    sessionTtlMs: 3600_000,
    cookieSecure: false,
    allowedOrigins: [],
  };
}

function baseCase(reference: string, over: Partial<CaseDetail> = {}): CaseDetail {
  return {
    reference,
    status: 'forwarded',
    categories: ['invoice'],
    customer: 'cliente@example.pt',
    nome: 'Ana Sofia Martins',
    nif: '123456789',
    subject: 'Fatura em falta',
    openedAt: '2026-03-02T10:00:00.000Z',
    updatedAt: '2026-03-02T10:05:00.000Z',
    messageCount: 1,
    reviewReason: null,
    language: 'pt',
    manifestation: null,
    ombudsman: null,
    timeline: [],
    ...over,
  };
}

/** An in-memory console with one case of each kind the pages show. */
export function fakeConsole(): CaseConsole & {
  releases: Array<{ ref: string; input: ReleaseInput }>;
  stateChanges: Array<{ ref: string; state: string; by: string }>;
  cases: Map<string, CaseDetail>;
} {
  const cases = new Map<string, CaseDetail>();
  cases.set(
    'MO-2026-000001',
    baseCase('MO-2026-000001', {
      timeline: [
        { kind: 'message', at: '2026-03-02T10:00:00.000Z', messageId: '<a@x>', from: 'cliente@example.pt', subject: 'Fatura <b>em</b> falta', text: HOSTILE_TEXT, withheld: null, attachments: ['fatura<1>.pdf'] },
        { kind: 'decision', at: '2026-03-02T10:00:01.000Z', action: 'forward', categories: ['invoice'], reasons: ['invoice: "fatura"'], missing: [], by: null },
        { kind: 'mail', at: '2026-03-02T10:00:02.000Z', mailKind: 'forward', to: ['rute.joao.externo@ageas.pt'], cc: ['clinicadigital@saude360.medis.pt'], status: 'sent', detail: null },
      ],
    }),
  );
  cases.set(
    'MO-2026-000002',
    baseCase('MO-2026-000002', {
      status: 'review',
      categories: [],
      nome: null,
      nif: null,
      subject: 'Ajuda <script>x</script>',
      reviewReason: 'no category found',
      timeline: [{ kind: 'message', at: '2026-03-03T09:00:00.000Z', messageId: '<b@x>', from: 'outro@example.pt', subject: 'Ajuda', text: 'Preciso de ajuda', withheld: null, attachments: [] }],
    }),
  );
  cases.set(
    'MO-2026-000003',
    baseCase('MO-2026-000003', {
      categories: ['clinical'],
      subject: null,
      timeline: [{ kind: 'message', at: '2026-03-03T09:00:00.000Z', messageId: '<c@x>', from: 'c@example.pt', subject: null, text: null, withheld: 'clinical case: content withheld', attachments: [] }],
    }),
  );
  const ombudsman: OmbudsmanCase = {
    ...baseCase('MO-2026-000004', { categories: ['ombudsman'] }),
    protocol: 'OUV-2026-0001',
    state: 'in_analysis',
    manifestation: 'reclamacao',
    deadline: '2026-03-01T17:30:00.000Z',
    complex: false,
    complexReason: null,
    overdue: true,
  };
  const releases: Array<{ ref: string; input: ReleaseInput }> = [];
  const stateChanges: Array<{ ref: string; state: string; by: string }> = [];
  return {
    cases,
    releases,
    stateChanges,
    async listCases(filter) {
      return [...cases.values()].filter(
        (c) =>
          (!filter.state || c.status === filter.state) &&
          (!filter.category || c.categories.includes(filter.category)) &&
          (!filter.query || c.reference === filter.query || c.nif === filter.query || c.customer === filter.query),
      );
    },
    async getCase(ref) {
      return cases.get(ref) ?? null;
    },
    async listReview() {
      return [...cases.values()].filter((c) => c.status === 'review');
    },
    async listOmbudsman() {
      return [ombudsman];
    },
    async releaseReview(ref, input) {
      const c = cases.get(ref);
      if (!c) return { ok: false, reason: 'not_found', message: 'no such case' };
      if (c.status !== 'review') return { ok: false, reason: 'not_in_review', message: 'not in review' };
      releases.push({ ref, input });
      cases.set(ref, { ...c, status: 'forwarded', categories: input.categories, nome: input.nome, nif: input.nif });
      return { ok: true, jobIds: ['s1'] };
    },
    async markComplex() {
      return { ok: true, deadline: '2026-04-01T17:30:00.000Z' };
    },
    async changeOmbudsmanState(ref, input) {
      if (!cases.has(ref)) return { ok: false, reason: 'not_found', message: 'no such case' };
      stateChanges.push({ ref, ...input });
      return { ok: true, state: input.state, deadline: '2026-04-01T17:30:00.000Z' };
    },
    async counts() {
      return { review: 1, ombudsmanOverdue: 1 };
    },
  };
}

/** Collects every log line written, as text. */
export function logSink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { stream, lines };
}

export async function testServer(over: Partial<ServerDeps> = {}) {
  const sink = logSink();
  const cases = fakeConsole();
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const app = buildServer({
    auth: await authConfig(),
    logger: createLogger({ level: 'info' }, sink.stream),
    queues: [],
    cases,
    probes: { redis: async () => ({ ok: true }) },
    metrics,
    ...over,
  });
  await app.ready();
  return { app, cases, metrics, logs: sink.lines };
}

export type TestServer = Awaited<ReturnType<typeof testServer>>;

/** Logs in through the form and returns the session cookie header and the CSRF token. */
export async function login(app: TestServer['app'], user = 'ana', password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const form = await app.inject({ method: 'GET', url: '/login', headers: { host: HOST } });
  const nonce = /name="_login" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  const loginCookie = form.cookies.find((c) => c.name === 'triage_login');
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { host: HOST, origin: `http://${HOST}`, cookie: `triage_login=${loginCookie?.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ username: user, password, _login: nonce, next: '/cases' }).toString(),
  });
  const session = res.cookies.find((c) => c.name === 'triage_session');
  if (res.statusCode !== 303 || !session) throw new Error(`login failed: ${res.statusCode}`);
  const cookie = `triage_session=${session.value}`;
  const page = await app.inject({ method: 'GET', url: '/cases', headers: { host: HOST, cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  return { cookie, csrf };
}
