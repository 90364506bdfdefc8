import { describeConfig, loadConfig, roleNeeds } from '../../../src/config/env';
import { ConfigError } from '../../../src/errors';

const SECRET = 's'.repeat(40);
const complete = {
  IMAP_URL: 'imaps://apoio:segredo@imap.exemplo.pt/INBOX',
  SMTP_URL: 'smtps://apoio:segredo@smtp.exemplo.pt:465',
  TRIAGE_INBOX_ADDRESS: 'Apoio@Medico-Online.pt',
  TRIAGE_SECRET: SECRET,
  TRIAGE_OMBUDSMAN_ADDRESS: 'provedor@exemplo.pt',
};

function issuesOf(fn: () => unknown): Array<{ key: string; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => ({ key: i.key, message: i.message }));
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads a complete environment, with defaults, frozen', () => {
    const config = loadConfig(complete);
    expect(config.role).toBe('all');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.inboxAddress).toBe('apoio@medico-online.pt');
    expect(config.port).toBe(8080);
    expect(config.imap?.mailbox).toBe('INBOX');
    expect(config.imap?.markHandled).toEqual({ mode: 'move', folder: 'Triaged' });
    expect(config.rules.routes.ombudsman.to).toEqual(['provedor@exemplo.pt']);
    expect(config.rules.self.inboxAddresses).toContain('apoio@medico-online.pt');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.rules.routes.ombudsman.to)).toBe(true);
  });

  it('lists every problem at once', () => {
    const issues = issuesOf(() =>
      loadConfig({ REDIS_URL: 'http://x', SMTP_URL: 'ftp://x', TRIAGE_SECRET: 'short', PORT: 'abc', ROLE: 'boss' }),
    );
    const keys = issues.map((i) => i.key);
    expect(keys).toEqual(expect.arrayContaining(['REDIS_URL', 'SMTP_URL', 'TRIAGE_SECRET', 'PORT', 'ROLE']));
  });

  it('requires what each role needs', () => {
    const keys = issuesOf(() => loadConfig({ TRIAGE_OMBUDSMAN_ADDRESS: 'p@x.pt' }, { role: 'all' })).map((i) => i.key);
    expect(keys.sort()).toEqual(['IMAP_URL', 'SMTP_URL', 'TRIAGE_INBOX_ADDRESS', 'TRIAGE_SECRET']);
    const web = issuesOf(() => loadConfig({ TRIAGE_OMBUDSMAN_ADDRESS: 'p@x.pt' }, { role: 'web' })).map((i) => i.key);
    expect(web.sort()).toEqual(['TRIAGE_INBOX_ADDRESS', 'TRIAGE_SECRET']);
    expect(loadConfig({ TRIAGE_OMBUDSMAN_ADDRESS: 'p@x.pt', TRIAGE_INBOX_ADDRESS: 'a@b.pt', TRIAGE_SECRET: SECRET }, { role: 'web' }).role).toBe('web');
    const worker = issuesOf(() => loadConfig({ TRIAGE_OMBUDSMAN_ADDRESS: 'p@x.pt', ROLE: 'worker' })).map((i) => i.key);
    expect(worker.sort()).toEqual(['SMTP_URL', 'TRIAGE_INBOX_ADDRESS', 'TRIAGE_SECRET']);
    expect(roleNeeds('poller')).toEqual({ imap: true, smtp: false, secret: false, inbox: false });
  });

  it('refuses an enabled ombudsman route with no address', () => {
    const { TRIAGE_OMBUDSMAN_ADDRESS: _omitted, ...rest } = complete;
    void _omitted;
    const issues = issuesOf(() => loadConfig(rest));
    expect(issues).toEqual([expect.objectContaining({ key: 'routes.ombudsman.to' })]);
  });

  it('checks the secret length and URL schemes without echoing secrets', () => {
    const issues = issuesOf(() => loadConfig({ ...complete, TRIAGE_SECRET: 'abc', IMAP_URL: 'http://user:topsecret@x' }));
    expect(issues.map((i) => i.key).sort()).toEqual(['IMAP_URL', 'TRIAGE_SECRET']);
    expect(JSON.stringify(issues)).not.toContain('topsecret');
  });

  it('describes itself without secrets', () => {
    const text = JSON.stringify(describeConfig(loadConfig(complete)));
    expect(text).not.toContain('segredo');
    expect(text).not.toContain(SECRET);
  });

  it('lets the demo go without IMAP and SMTP', () => {
    const config = loadConfig({ TRIAGE_OMBUDSMAN_ADDRESS: 'p@x.pt', TRIAGE_INBOX_ADDRESS: 'a@b.pt', TRIAGE_SECRET: SECRET }, { needs: { imap: false, smtp: false } });
    expect(config.imap).toBeNull();
    expect(config.smtp).toBeNull();
  });
});

describe('loadConfig, crash recovery settings', () => {
  it('when unset, then locks, stalls and the mailbox lease take their defaults and no Sent folder is asked', () => {
    const config = loadConfig(complete);
    expect(config.workers.lockMs).toBe(30_000);
    expect(config.workers.maxStalled).toBe(5);
    expect(config.imap?.leaseSeconds).toBe(30);
    expect(config.smtp?.sentFolder).toBeNull();
  });

  it('when set, then they are read', () => {
    const config = loadConfig({ ...complete, WORKER_LOCK_MS: '3000', WORKER_MAX_STALLED: '9', IMAP_LEASE_SECONDS: '3', SMTP_SENT_FOLDER: 'Sent Items' });
    expect(config.workers).toMatchObject({ lockMs: 3000, maxStalled: 9 });
    expect(config.imap?.leaseSeconds).toBe(3);
    expect(config.smtp?.sentFolder).toBe('Sent Items');
    expect(describeConfig(config)).toMatchObject({ smtp: { sentFolder: 'Sent Items' } });
  });

  it('when SMTP_SENT_FOLDER is set without IMAP_URL for a worker, then it is refused with the reason', () => {
    const { IMAP_URL: _omit, ...noImap } = complete;
    const issues = issuesOf(() => loadConfig({ ...noImap, SMTP_SENT_FOLDER: 'Sent' }, { role: 'worker' }));
    expect(issues).toContainEqual({ key: 'SMTP_SENT_FOLDER', message: 'needs IMAP_URL: the Sent folder is looked up in that account' });
  });

  it('when the lock is under a second, then it is refused', () => {
    expect(issuesOf(() => loadConfig({ ...complete, WORKER_LOCK_MS: '200' })).map((i) => i.key)).toContain('WORKER_LOCK_MS');
  });
});
