import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../browser/browser';
import { assertLogsClean, BODY_PHRASES } from '../browser/log-grep';
import { startServiceStack, type ServiceStack } from '../browser/service-stack';
import { eml, WEB_PASSWORD, WEB_TOKEN, WEB_USER } from '../browser/stack';

/**
 * The web role end to end in a real browser (Debian's Chromium via playwright-core): sign in,
 * see the queues, open a case, release a review case and see its forward reach the SMTP sink,
 * retry a failed job from the dashboard. The service runs as `triage start` runs it (role `all`,
 * src/main.ts + src/web-role.ts). Screenshots go to docs/screenshots/ (committed).
 */
jest.setTimeout(120_000);

const SHOTS = resolve(__dirname, '..', '..', 'docs', 'screenshots');

describe('the web console in Chromium', () => {
  let stack: ServiceStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const cspViolations: string[] = [];
  let reviewCase = '';
  let technicalCase = '';

  const shot = (name: string) => page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startServiceStack();
    // A review case whose text tries to run script, and a forward the SMTP server refuses for good.
    stack.smtp.reject.set(stack.rules.routes.technical.to[0]!, 550);
    await stack.ingestEml(
      eml(
        { Subject: 'Pedido <img src=x onerror=alert(2)>', 'Message-ID': '<web-review-1@example.pt>' },
        `${BODY_PHRASES.review} <script>alert("xss")</script>\n\nRui Costa`,
      ),
    );
    await stack.ingestEml(
      eml({ Subject: 'Erro na app', 'Message-ID': '<web-tech-1@example.pt>', From: 'Joao <joao@example.pt>' }, `${BODY_PHRASES.technical}\nNIF 123456789\n\nJoao Pedro Santos`),
    );
    reviewCase = await stack.waitForCase('<web-review-1@example.pt>');
    technicalCase = await stack.waitForCase('<web-tech-1@example.pt>');
    await until(async () => ((await stack.queues.send.getJobCounts('failed')).failed ?? 0) >= 1);

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: stack.baseUrl });
    page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text()) && !/fonts\.googleapis/.test(m.text())) cspViolations.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('when a page is opened without a session, then the login form is shown, and the right password opens the console', async () => {
    await page.goto('/cases');
    expect(new URL(page.url()).pathname).toBe('/login');
    await shot('01-login');
    await page.fill('input[name=username]', WEB_USER);
    await page.fill('input[name=password]', WEB_PASSWORD);
    await Promise.all([page.waitForURL('**/cases'), page.click('button[type=submit]')]);
    await page.waitForSelector('table.cases');
    expect(await page.textContent('body')).toContain(reviewCase);
    const cookie = (await context.cookies()).find((c) => c.name === 'triage_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await shot('02-cases');
  });

  it('when the dashboard is opened, then every queue is listed', async () => {
    await page.goto('/admin/queues');
    for (const queue of ['classify', 'send']) await page.locator(`main a[href="/admin/queues/queue/${queue}"]`).waitFor();
    await page.getByText(/^\d+ Jobs?$/).first().waitFor();
    await shot('03-queues');
  });

  it('when a review case is opened, then the customer text is shown inert and no script runs', async () => {
    await page.goto('/review');
    await Promise.all([page.waitForURL(`**/cases/${reviewCase}`), page.click(`a[href="/cases/${reviewCase}"]`)]);
    const body = await page.textContent('pre.body');
    expect(body).toContain('<script>alert("xss")</script>');
    expect(await page.locator('main script').count()).toBe(0);
    expect(await page.textContent('.subject')).toContain('<img src=x onerror=alert(2)>');
    expect(dialogs).toEqual([]);
    await shot('04-review-case');
  });

  it('when the agent sets categories and identity and releases the case, then its forward reaches the SMTP sink', async () => {
    await page.check('input[name=categories][value=documents]');
    await page.fill('input[name=nome]', 'Rui Costa');
    await page.fill('input[name=nif]', '123456789');
    await Promise.all([page.waitForURL(`**/cases/${reviewCase}?done=released`), page.click('form.release button[type=submit]')]);
    expect(await page.textContent('.flash')).toContain('Released');
    const forward = await stack.smtp.waitFor((m) => m.to.includes(stack.rules.routes.documents.to[0]!));
    expect(forward.headers.get('x-triage-case')).toBe(reviewCase);
    await until(async () => !!(await stack.cases.getCase(reviewCase))?.timeline.some((e) => e.kind === 'mail' && e.mailKind === 'forward' && e.status === 'sent'));
    await page.reload();
    expect(await page.textContent('ol.timeline')).toContain('forward sent');
    await shot('05-released');
  });

  it('when a failed send is retried from the dashboard, then it is delivered', async () => {
    const technical = stack.rules.routes.technical.to[0]!;
    await page.goto(`/cases/${technicalCase}`);
    await page.waitForSelector('li.mail-failed');
    await shot('06-failed-send');

    stack.smtp.reject.clear();
    const [failed] = await stack.queues.send.getFailed(0, 0);
    await page.goto('/admin/queues/queue/send?status=failed');
    await page.locator(`a[href*="${failed!.id}"]`).first().waitFor();
    await shot('07-failed-job');
    // The job card's icon buttons carry their name in a tooltip only.
    const retry = await buttonWithTooltip(page, 'Retry');
    await retry.click();
    const confirm = page.getByRole('button', { name: 'Confirm', exact: true });
    await confirm.waitFor();
    await confirm.click();
    await stack.smtp.waitFor((m) => m.to.includes(technical), 20_000);
    await until(async () => ((await stack.queues.send.getJobCounts('failed')).failed ?? 0) === 0);
    await page.goto(`/cases/${technicalCase}`);
    expect(await page.textContent('ol.timeline')).toContain('forward sent');
    await shot('08-retried');
  });

  it('when an ombudsman case is listed, then its protocol and deadline show, and marking it complex extends the deadline', async () => {
    await stack.ingestEml(
      eml(
        { Subject: 'Reclamacao para a Ouvidoria', 'Message-ID': '<web-omb-1@example.pt>', From: 'Carla <carla@example.pt>' },
        'Exmos. Senhores da Ouvidoria,\nVenho apresentar uma reclamacao formal. Ja enviei tres emails sobre o reembolso da consulta cancelada e ninguem me respondeu.\nNIF 123456789\n\nCarla Maria Sousa',
      ),
    );
    const caseId = await stack.waitForCase('<web-omb-1@example.pt>');
    await stack.smtp.waitFor((m) => m.to.includes(stack.rules.routes.ombudsman.to[0]!));
    await page.goto('/ombudsman');
    const row = page.locator('table.cases tr', { hasText: caseId });
    const before = (await row.locator('time').getAttribute('datetime')) as string;
    expect(await row.textContent()).toContain('reclamacao');
    await shot('09-ombudsman');
    await row.locator(`a[href="/cases/${caseId}"]`).click();
    await page.fill('input[name=reason]', 'Needs the clinical director to review the recording');
    await Promise.all([page.waitForURL(`**/cases/${caseId}?done=complex`), page.click('form[action$="/complex"] button[type=submit]')]);
    expect(await page.textContent('.flash')).toContain('Marked complex');
    const detail = (await stack.cases.getCase(caseId))!;
    expect(detail.ombudsman).toMatchObject({ complex: true, complexReason: 'Needs the clinical director to review the recording' });
    expect(detail.ombudsman!.deadline > before).toBe(true);
  });

  it('when the ombudsman and search pages are used, then they answer without any CSP violation or dialog', async () => {
    await page.goto('/ombudsman');
    await page.goto(`/cases?q=${encodeURIComponent('joao@example.pt')}`);
    expect(await page.textContent('table.cases')).toContain(technicalCase);
    expect(cspViolations).toEqual([]);
    expect(dialogs).toEqual([]);
  });

  it('when Prometheus scrapes with its token and an orchestrator asks /readyz, then the wired service answers', async () => {
    const metrics = await fetch(`${stack.baseUrl}/metrics`, { headers: { authorization: `Bearer ${WEB_TOKEN}` } });
    const text = await metrics.text();
    expect(metrics.status).toBe(200);
    expect(text).toMatch(/triage_queue_jobs\{queue="send",state="completed"\} [1-9]/);
    expect(text).toMatch(/triage_imap_connected 1/);
    expect((await fetch(`${stack.baseUrl}/metrics`)).status).toBe(401);
    const ready = await fetch(`${stack.baseUrl}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: { ok: true }, imap: { ok: true }, smtp: { ok: true }, queue: { ok: true } } });
  });

  it('when the run is over, then the captured log has no NIF in clear, no body text and no secret', () => {
    expect(stack.logs.some((l) => l.includes('"msg":"review released"'))).toBe(true);
    assertLogsClean(stack.logs);
  });
});

async function buttonWithTooltip(page: Page, name: string) {
  const buttons = page.locator('main button');
  const count = await buttons.count();
  for (let i = 0; i < count; i += 1) {
    const button = buttons.nth(i);
    if (((await button.textContent()) ?? '').trim() !== '' || !(await button.isVisible())) continue;
    await button.hover();
    const tip = page.locator('[data-base-ui-portal] [data-open]').getByText(name, { exact: true });
    if (await tip.waitFor({ state: 'visible', timeout: 1000 }).then(() => true, () => false)) return button;
    await page.mouse.move(0, 0);
  }
  throw new Error(`no button with the tooltip ${name}`);
}

async function until(predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`condition not met after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
