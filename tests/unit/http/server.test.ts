import { escapeHtml, html, raw } from '../../../src/http/html';
import { parseCaseFilter } from '../../../src/http/server';
import { isRefusedBoardAction, redactJobData } from '../../../src/http/dashboard';
import { HOST, HOSTILE_TEXT, login, TOKEN, testServer, type TestServer } from './fixtures';

const ORIGIN = `http://${HOST}`;

describe('buildServer case console', () => {
  let s: TestServer;
  let session: { cookie: string; csrf: string };
  beforeAll(async () => {
    s = await testServer();
    session = await login(s.app);
  });
  afterAll(async () => {
    await s.app.close();
  });

  const get = (url: string) => s.app.inject({ url, headers: { host: HOST, cookie: session.cookie } });
  const post = (url: string, payload: Record<string, unknown>, headers: Record<string, string> = { origin: ORIGIN }) =>
    s.app.inject({ method: 'POST', url, headers: { host: HOST, cookie: session.cookie, ...headers }, payload });

  it('when a message body holds <script>, then the case page shows it as inert text', async () => {
    const res = await get('/cases/MO-2026-000001');
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<script>alert');
    expect(res.body).not.toContain('<img src=x');
    expect(res.body).toContain('Bom dia &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src&#61;x onerror&#61;alert(1)&gt;');
    expect(res.body).toContain('Fatura &lt;b&gt;em&lt;/b&gt; falta');
    expect(res.body).toContain('fatura&lt;1&gt;.pdf');
  });

  it('when a subject in the list holds markup, then it is escaped there too', async () => {
    const res = await get('/review');
    expect(res.body).toContain('Ajuda &lt;script&gt;x&lt;/script&gt;');
    expect(res.body).not.toContain('<script>');
  });

  it('when a page is served, then a strict CSP forbids every script', async () => {
    const res = await get('/cases');
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
  });

  it('when a clinical case is opened, then its text is withheld', async () => {
    const res = await get('/cases/MO-2026-000003');
    expect(res.body).toContain('clinical case: content withheld');
    expect(res.body).not.toContain('<pre class="body">');
  });

  it('when cases are filtered and searched, then the filters reach the console and the search is echoed escaped', async () => {
    const byState = await get('/cases?state=review');
    expect(byState.body).toContain('MO-2026-000002');
    expect(byState.body).not.toContain('MO-2026-000001');
    const byNif = await get('/cases?q=123456789&category=invoice');
    expect(byNif.body).toContain('MO-2026-000001');
    const hostile = await get('/cases?q=%22%3E%3Cscript%3E');
    expect(hostile.body).toContain('value="&quot;&gt;&lt;script&gt;"');
  });

  it('when the ombudsman page is opened, then overdue cases are marked', async () => {
    const res = await get('/ombudsman');
    expect(res.body).toContain('OUV-2026-0001');
    expect(res.body).toContain('class="overdue"');
  });

  it('when a release is posted without the CSRF token, then it is refused and nothing is released', async () => {
    const res = await post('/cases/MO-2026-000002/release', { categories: 'documents', nome: 'Rui Costa', nif: '123456789' });
    expect(res.statusCode).toBe(403);
    const wrong = await post('/cases/MO-2026-000002/release', { _csrf: 'x'.repeat(43), categories: 'documents', nome: 'Rui Costa', nif: '123456789' });
    expect(wrong.statusCode).toBe(403);
    expect(s.cases.releases).toHaveLength(0);
  });

  it('when a release comes from another origin, or with no origin at all, then it is refused even with the token', async () => {
    const body = { _csrf: session.csrf, categories: 'documents', nome: 'Rui Costa', nif: '123456789' };
    expect((await post('/cases/MO-2026-000002/release', body, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await post('/cases/MO-2026-000002/release', body, {})).statusCode).toBe(403);
    expect(s.cases.releases).toHaveLength(0);
  });

  it('when the CSRF token of another session is used, then it is refused', async () => {
    const other = await login(s.app);
    const res = await post('/cases/MO-2026-000002/release', { _csrf: other.csrf, categories: 'documents', nome: 'Rui Costa', nif: '123456789' });
    expect(res.statusCode).toBe(403);
  });

  it('when clinical is chosen with another category, or the NIF is invalid, then the agent is told and nothing is released', async () => {
    const clinical = await post('/cases/MO-2026-000002/release', { _csrf: session.csrf, categories: ['clinical', 'invoice'], nome: 'Rui Costa', nif: '123456789' });
    expect(clinical.statusCode).toBe(400);
    expect(clinical.body).toContain('clinical team alone');
    const badNif = await post('/cases/MO-2026-000002/release', { _csrf: session.csrf, categories: 'invoice', nome: 'Rui Costa', nif: '123456780' });
    expect(badNif.statusCode).toBe(400);
    expect(badNif.body).toContain('valid check digit');
    expect(s.cases.releases).toHaveLength(0);
  });

  it('when a review case is released with the token from this origin, then the console releases it and the page says so', async () => {
    const res = await post('/cases/MO-2026-000002/release', { _csrf: session.csrf, categories: ['documents', 'invoice'], nome: 'Rui  Costa', nif: '123 456 789' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/cases/MO-2026-000002?done=released');
    expect(s.cases.releases).toEqual([
      { ref: 'MO-2026-000002', input: { categories: ['documents', 'invoice'], nome: 'Rui Costa', nif: '123456789', by: 'ana' } },
    ]);
    const page = await get('/cases/MO-2026-000002?done=released');
    expect(page.body).toContain('Released: the forwards are queued');
    const again = await post('/cases/MO-2026-000002/release', { _csrf: session.csrf, categories: 'documents', nome: 'Rui Costa', nif: '123456789' });
    expect(again.statusCode).toBe(409);
  });

  it('when the API releases with a Bearer token, then no CSRF token is needed', async () => {
    s.cases.cases.set('MO-2026-000009', { ...(await s.cases.getCase('MO-2026-000001'))!, reference: 'MO-2026-000009', status: 'review' });
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/cases/MO-2026-000009/release',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { categories: ['technical'], nome: 'Rui Costa', nif: '123456789' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ released: true, jobIds: ['s1'] });
  });

  it('when an ombudsman case is opened, then its state shows with one button per next state, and posting one changes it', async () => {
    s.cases.cases.set(
      'MO-2026-000010',
      {
        ...(await s.cases.getCase('MO-2026-000001'))!,
        reference: 'MO-2026-000010',
        categories: ['ombudsman'],
        ombudsman: { protocol: 'OUV-2026-000010', state: 'in_analysis', deadline: '2026-03-01T17:30:00.000Z', complex: false, complexReason: null, overdue: true, nextStates: ['answered'] },
      },
    );
    const page = await get('/cases/MO-2026-000010');
    expect(page.body).toContain('in analysis');
    expect(page.body).toContain('<strong class="late">overdue</strong>');
    expect(page.body).toContain('action="/cases/MO-2026-000010/ombudsman-state"');
    expect(page.body).toContain('name="state" value="answered"');
    expect(page.body).not.toContain('value="closed"');

    const refused = await post('/cases/MO-2026-000010/ombudsman-state', { state: 'answered' });
    expect(refused.statusCode).toBe(403);
    const bad = await post('/cases/MO-2026-000010/ombudsman-state', { _csrf: session.csrf, state: 'solved' });
    expect(bad.statusCode).toBe(400);
    const res = await post('/cases/MO-2026-000010/ombudsman-state', { _csrf: session.csrf, state: 'answered' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/cases/MO-2026-000010?done=state');
    expect(s.cases.stateChanges).toEqual([{ ref: 'MO-2026-000010', state: 'answered', by: 'ana' }]);
    expect((await get('/cases/MO-2026-000010?done=state')).body).toContain('the customer is told');
  });

  it('when the API changes an ombudsman state with a Bearer token, then it answers with the new state', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/cases/MO-2026-000001/ombudsman-state',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { state: 'closed' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ state: 'closed', deadline: '2026-04-01T17:30:00.000Z' });
  });

  it('when the flash code is unknown, then nothing from the query string is shown', async () => {
    const res = await get('/cases/MO-2026-000001?done=%3Cb%3Ezqxflash');
    expect(res.body).not.toContain('zqxflash');
  });

  it('when a board action that could send or lose mail is asked, then it is refused', async () => {
    const res = await s.app.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/send/obliterate',
      headers: { host: HOST, cookie: session.cookie, origin: ORIGIN },
    });
    expect(res.statusCode).toBe(403);
  });

  it('when a board action comes with the session cookie but no Origin, then it is refused as cross-site', async () => {
    const res = await s.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/send/j1/retry', headers: { host: HOST, cookie: session.cookie } });
    expect(res.statusCode).toBe(403);
  });

  it('when the JSON API is posted to with a session, then the CSRF header is required', async () => {
    const url = '/api/cases/MO-2026-000001/release';
    const payload = { categories: ['technical'], nome: 'Rui Costa', nif: '123456789' };
    const headers = { host: HOST, cookie: session.cookie, origin: ORIGIN };
    expect((await s.app.inject({ method: 'POST', url, headers, payload })).statusCode).toBe(403);
    expect((await s.app.inject({ method: 'POST', url, headers: { ...headers, 'x-csrf-token': session.csrf }, payload })).statusCode).toBe(409);
  });

  it('when the dashboard page is opened, then it is served with its own CSP and no foreign script', async () => {
    const res = await get('/admin/queues');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.body).toContain('<base href="/admin/queues/"');
  });
});

describe('buildServer health and metrics', () => {
  it('when a probe fails or hangs, then /readyz answers 503 and names it', async () => {
    const s = await testServer({
      probes: {
        redis: async () => ({ ok: true }),
        imap: async () => ({ ok: false, detail: 'not connected' }),
        smtp: () => new Promise(() => undefined),
      },
    });
    const res = await s.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body.checks.redis.ok).toBe(true);
    expect(body.checks.imap).toMatchObject({ ok: false, detail: 'not connected' });
    expect(body.checks.smtp).toMatchObject({ ok: false, detail: 'no answer in 2000 ms' });
    expect((await s.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    await s.app.close();
  });

  it('when /metrics is scraped, then every metric is exposed in Prometheus text with the gauges fresh', async () => {
    const s = await testServer();
    s.metrics.messages.inc({ action: 'forward', category: 'invoice' });
    s.metrics.mailSent.inc({ kind: 'forward' });
    s.metrics.appendToSend.observe({ kind: 'forward' }, 1.2);
    const res = await s.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    for (const name of [
      'triage_messages_total{action="forward",category="invoice"} 1',
      'triage_mail_sent_total{kind="forward"} 1',
      'triage_append_to_send_seconds_bucket{le="2.5",kind="forward"} 1',
      '# TYPE triage_mail_failed_total counter',
      '# TYPE triage_queue_jobs gauge',
      '# TYPE triage_queue_oldest_job_age_seconds gauge',
      '# TYPE triage_imap_connected gauge',
      'triage_review_backlog 1',
      'triage_ombudsman_overdue 1',
    ]) {
      expect(res.body).toContain(name);
    }
    await s.app.close();
  });
});

describe('escapeHtml', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['" onmouseover="x', '&quot; onmouseover&#61;&quot;x'],
    ["'`&", '&#39;&#96;&amp;'],
    [null, ''],
    [42, '42'],
  ])('when %j is escaped, then it is %j', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });

  it('when values are interpolated with html, then only SafeHtml passes through', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${'<u>'}${raw('<br>')}${['<a>', html`<c>`]}</p>`.value).toBe('<p><b>&lt;i&gt;</b>&lt;u&gt;<br>&lt;a&gt;<c></p>');
  });
});

describe('parseCaseFilter', () => {
  it('when unknown states or categories are asked, then they are dropped, not echoed', () => {
    expect(parseCaseFilter({ state: 'review', category: 'invoice', q: ' 123456789 ' })).toEqual({ state: 'review', category: 'invoice', query: '123456789' });
    expect(parseCaseFilter({ state: '<x>', category: 'nope', q: '' })).toEqual({ state: undefined, category: undefined, query: undefined });
  });
});

describe('redactJobData', () => {
  it('when a job holds content fields and NIFs, then the board sees them redacted and masked', () => {
    expect(redactJobData({ caseId: 'MO-1', mail: { subject: 'Receita', text: 'dor', to: ['a@b.pt'] }, note: 'NIF 123456789' })).toEqual({
      caseId: 'MO-1',
      mail: { subject: '[redacted]', text: '[redacted]', to: ['a@b.pt'] },
      note: 'NIF ******789',
    });
  });
});

describe('isRefusedBoardAction', () => {
  it.each([
    ['POST', '/admin/queues/api/queues/send/add', true],
    ['PATCH', '/admin/queues/api/queues/send/j1/update-data', true],
    ['PUT', '/admin/queues/api/queues/send/empty', true],
    ['PUT', '/admin/queues/api/queues/send/j1/retry', false],
    ['PUT', '/admin/queues/api/queues/send/retry/failed', false],
  ])('when %s %s, then refused is %s', (method, url, refused) => {
    expect(isRefusedBoardAction(method, url)).toBe(refused);
  });
});
