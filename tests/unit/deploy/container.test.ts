import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * No Docker engine runs here, so the image and compose file are checked as far as reading them
 * allows: what production depends on (noeviction Redis with AOF, one image per role, a non-root
 * user, an init that forwards SIGTERM, the entry point that exists in the build) must be there.
 */
const ROOT = path.resolve(__dirname, '../../..');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const compose = parseYaml(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; profiles?: string[]; healthcheck?: unknown }>;
};
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };

describe('Dockerfile', () => {
  it('when the runtime stage is read, then it installs production dependencies only', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('when the runtime stage is read, then the service runs as a non-root user under an init', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/^USER (?!root\b)\S+/m);
    expect(runtime).toMatch(/ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
  });

  it('when the command is read, then it starts the CLI the package builds', () => {
    const cmd = /^CMD \["node", "([^"]+)", "start"\]/m.exec(dockerfile);
    expect(cmd?.[1]).toBe(pkg.bin['triage']);
  });
});

describe('docker-compose.yml', () => {
  it('when Redis is read, then it never evicts and keeps an append-only file', () => {
    const command = compose.services['redis']!.command!.join(' ');
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(command).toMatch(/--appendonly yes/);
    expect(compose.services['redis']!.healthcheck).toBeDefined();
  });

  it('when the service is read, then each role runs the same image', () => {
    const roles = ['poller', 'worker', 'web'].map((name) => compose.services[name]!);
    expect(roles[0]!.image).toMatch(/\S/);
    expect(new Set(roles.map((s) => s.image)).size).toBe(1);
    expect(roles.map((s) => s.environment?.['ROLE'])).toEqual(['poller', 'worker', 'web']);
  });

  it('when the mail test servers are read, then they start only with the dev profile', () => {
    for (const name of ['dovecot', 'mailpit']) expect(compose.services[name]!.profiles).toEqual(['dev']);
  });
});
