import { eml, startStack, WEB_PASSWORD, WEB_TOKEN, WEB_USER, type Stack } from '../browser/stack';
import { assertLogsClean, BODY_PHRASES } from '../browser/log-grep';

/**
 * The web role over the real pipeline: Redis (DB 15, own prefix), BullMQ workers, the SMTP sink.
 * Requests go through inject() on the same server the browser test drives.
 */
jest.setTimeout(60_000);

describe('createRedisCaseConsole with the pipeline', () => {
  let stack: Stack;
  let cookie = '';
  let csrf = '';

  async function signIn(): Promise<void> {
    const host = new URL(stack.baseUrl).host;
    const form = await stack.app.inject({ url: '/login', headers: { host } });
    const nonce = /name="_login" value="([^"]+)"/.exec(form.body)?.[1] as string;
    const loginCookie = form.cookies.find((c) => c.name === 'triage_login')!;
    const res = await stack.app.inject({
      method: 'POST',
      url: '/login',
      headers: { host, origin: stack.baseUrl, cookie: `triage_login=${loginCookie.value}` },
      payload: { username: WEB_USER, password: WEB_PASSWORD, _login: nonce, next: '/cases' },
    });
    cookie = `triage_session=${res.cookies.find((c) => c.name === 'triage_session')!.value}`;
    const page = await stack.app.inject({ url: '/cases', headers: { host, cookie } });
    csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] as string;
  }

  const get = (url: string) => stack.app.inject({ url, headers: { host: new URL(stack.baseUrl).host, cookie } });

  beforeAll(async () => {
    stack = await startStack();
    await signIn();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('when a message has no topic, then it waits in review, its <script> is inert, and releasing it sends the forward and the acknowledgement', async () => {
    await stack.ingestEml(
      eml(
        { Subject: 'Pedido <script>alert(1)</script>', 'Message-ID': '<int-review-1@example.pt>' },
        `${BODY_PHRASES.review} <script>alert("xss")</script>\n\nRui Costa`,
      ),
    );
    const caseId = await stack.waitForCase('<int-review-1@example.pt>');
    await waitFor(async () => (await stack.cases.getCase(caseId))?.status === 'review');

    const review = await get('/review');
    expect(review.body).toContain(caseId);
    const page = await get(`/cases/${caseId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;');
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).toContain('Release to routes');

    const released = await stack.app.inject({
      method: 'POST',
      url: `/cases/${caseId}/release`,
      headers: { host: new URL(stack.baseUrl).host, origin: stack.baseUrl, cookie },
      payload: { _csrf: csrf, categories: 'documents', nome: 'Rui Costa', nif: '123456789' },
    });
    expect(released.statusCode).toBe(303);

    const forward = await stack.smtp.waitFor((m) => m.to.includes(stack.rules.routes.documents.to[0]!));
    expect(forward.headers.get('x-triage-case')).toBe(caseId);
    await stack.smtp.waitFor((m) => m.to.includes('cliente@example.pt'));

    const after = await stack.cases.getCase(caseId);
    expect(after).toMatchObject({ status: 'forwarded', categories: ['documents'], nome: 'Rui Costa', nif: '123456789' });
    await waitFor(async () => {
      const detail = await stack.cases.getCase(caseId);
      return !!detail?.timeline.some((e) => e.kind === 'mail' && e.mailKind === 'forward' && e.status === 'sent');
    });
    expect((await stack.cases.getCase(caseId))!.timeline.some((e) => e.kind === 'decision' && e.action === 'release' && e.by === WEB_USER)).toBe(true);
    expect(await stack.redis.zscore(`${stack.prefix}:messages:review`, (await stack.store.getCase(caseId))!.record.messages[0]!.hash)).toBeNull();

    const again = await stack.app.inject({
      method: 'POST',
      url: `/cases/${caseId}/release`,
      headers: { host: new URL(stack.baseUrl).host, origin: stack.baseUrl, cookie },
      payload: { _csrf: csrf, categories: 'documents', nome: 'Rui Costa', nif: '123456789' },
    });
    expect(again.statusCode).toBe(409);
  });

  it('when a clinical message is forwarded, then its subject, text and evidence are withheld in the console', async () => {
    await stack.ingestEml(
      eml({ Subject: 'Duvida sobre a dose receitada', 'Message-ID': '<int-clinical-1@example.pt>', From: 'Ana <ana@example.pt>' }, `${BODY_PHRASES.clinical}\nNIF 123456789\n\nAna Sofia Martins`),
    );
    const caseId = await stack.waitForCase('<int-clinical-1@example.pt>');
    await stack.smtp.waitFor((m) => m.to.includes('areaclinica@saude360.medis.pt'));
    const detail = (await stack.cases.getCase(caseId))!;
    expect(detail.categories).toEqual(['clinical']);
    expect(detail.subject).toBeNull();
    const page = await get(`/cases/${caseId}`);
    expect(page.body).not.toContain('Brufen');
    expect(page.body).not.toContain('dose receitada');
    expect(page.body).toContain('content withheld');
  });

  it('when a send fails for good, then the job is failed on the board, the timeline says so, and a retry from the board delivers it', async () => {
    const technical = stack.rules.routes.technical.to[0]!;
    stack.smtp.reject.set(technical, 550);
    await stack.ingestEml(eml({ Subject: 'Erro na app', 'Message-ID': '<int-tech-1@example.pt>', From: 'Joao <joao@example.pt>' }, `${BODY_PHRASES.technical}\nNIF 123456789\n\nJoao Pedro Santos`));
    const caseId = await stack.waitForCase('<int-tech-1@example.pt>');
    await waitFor(async () => ((await stack.queues.send.getJobCounts('failed')).failed ?? 0) >= 1);
    const [failed] = await stack.queues.send.getFailed(0, 0);
    expect(failed!.data.mail.caseId).toBe(caseId);
    await waitFor(async () => !!(await stack.cases.getCase(caseId))?.timeline.some((e) => e.kind === 'mail' && e.status === 'failed'));

    const board = await get('/admin/queues/api/queues?activeQueue=send&status=failed&page=1&jobsPerPage=10');
    expect(board.statusCode).toBe(200);
    const sendQueue = board.json().queues.find((q: { name: string }) => q.name === 'send');
    expect(sendQueue.counts.failed).toBeGreaterThanOrEqual(1);
    const shown = sendQueue.jobs.find((j: { id: string }) => j.id === failed!.id);
    expect(shown.data.mail.text).toBe('[redacted]');
    expect(shown.data.mail.subject).toBe('[redacted]');

    stack.smtp.reject.clear();
    const retry = await stack.app.inject({
      method: 'PUT',
      url: `/admin/queues/api/queues/send/${failed!.id}/retry`,
      headers: { host: new URL(stack.baseUrl).host, origin: stack.baseUrl, cookie },
    });
    expect(retry.statusCode).toBe(204);
    await stack.smtp.waitFor((m) => m.to.includes(technical));
    await waitFor(async () => !!(await stack.cases.getCase(caseId))?.timeline.some((e) => e.kind === 'mail' && e.mailKind === 'forward' && e.status === 'sent'));
  });

  it('when a case is searched by reference, NIF or address, then it is found', async () => {
    const caseId = await stack.waitForCase('<int-tech-1@example.pt>');
    expect((await stack.cases.listCases({ query: caseId })).map((c) => c.reference)).toEqual([caseId]);
    expect((await stack.cases.listCases({ query: `[#${caseId}]` })).map((c) => c.reference)).toEqual([caseId]);
    expect((await stack.cases.listCases({ query: 'joao@example.pt' })).map((c) => c.reference)).toEqual([caseId]);
    expect((await stack.cases.listCases({ query: '123 456 789', category: 'technical' })).map((c) => c.reference)).toEqual([caseId]);
    expect((await stack.cases.listCases({ state: 'forwarded' })).length).toBeGreaterThanOrEqual(3);
  });

  it('when Prometheus scrapes with its token, then queue depth, decisions and mail counters are there', async () => {
    const res = await stack.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${WEB_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/triage_queue_jobs\{queue="send",state="completed"\} [1-9]/);
    expect(res.body).toMatch(/triage_queue_oldest_job_age_seconds\{queue="classify"\} /);
    expect(res.body).toMatch(/triage_messages_total\{action="forward",category="clinical"\} 1/);
    expect(res.body).toMatch(/triage_mail_sent_total\{kind="forward"\} [1-9]/);
    expect(res.body).toMatch(/triage_append_to_send_seconds_count\{kind="forward"\} [1-9]/);
    expect(res.body).toMatch(/triage_review_backlog 0/);
  });

  it('when /readyz is asked, then Redis, SMTP and the queue answer', async () => {
    const res = await stack.app.inject({ url: '/readyz' });
    expect(res.json()).toMatchObject({ status: 'ready', checks: { redis: { ok: true }, smtp: { ok: true }, queue: { ok: true } } });
  });

  it('when the run is over, then the captured log has no NIF in clear, no body text, no subject of the clinical case and no secret', () => {
    expect(stack.logs.length).toBeGreaterThan(20);
    assertLogsClean(stack.logs);
  });
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`condition not met after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
