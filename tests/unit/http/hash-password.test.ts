import { PassThrough } from 'node:stream';
import { runHashPassword } from '../../../src/cli/hash-password';
import { parseScryptHash, tokenMatches, verifyPassword } from '../../../src/http/passwords';
import { loadWebConfig } from '../../../src/http/web-config';
import { SECRET } from './fixtures';

function io(stdin: string) {
  const input = new PassThrough();
  const output = new PassThrough();
  const errors = new PassThrough();
  let out = '';
  let err = '';
  output.on('data', (c: Buffer) => (out += c.toString()));
  errors.on('data', (c: Buffer) => (err += c.toString()));
  input.end(stdin);
  return { io: { input, output, errors }, out: () => out, err: () => err };
}

describe('runHashPassword', () => {
  it('when a password comes on standard input, then the printed entry loads and verifies', async () => {
    const t = io('a-long-enough-password\n');
    expect(await runHashPassword('ana', {}, t.io)).toBe(0);
    const entry = t.out().trim();
    expect(entry).toMatch(/^ana:scrypt:16384:8:1:/);
    expect(entry).not.toContain('a-long-enough-password');
    const config = loadWebConfig({ TRIAGE_WEB_USERS: entry, TRIAGE_WEB_SESSION_SECRET: SECRET });
    await expect(verifyPassword('a-long-enough-password', config.auth.users.get('ana')!.hash)).resolves.toBe(true);
    expect(parseScryptHash(entry.slice(4))).not.toBeNull();
  });

  it('when the password is short, then nothing is printed', async () => {
    const t = io('short\n');
    expect(await runHashPassword('ana', {}, t.io)).toBe(1);
    expect(t.out()).toBe('');
  });

  it('when a token is asked, then the token matches its entry', async () => {
    const t = io('');
    expect(await runHashPassword('prometheus', { token: true }, t.io)).toBe(0);
    const token = /^token=(\S+)$/m.exec(t.out())?.[1] as string;
    const entry = /^entry=(\S+)$/m.exec(t.out())?.[1] as string;
    const config = loadWebConfig({ TRIAGE_WEB_TOKENS: entry, TRIAGE_WEB_SESSION_SECRET: SECRET });
    expect(tokenMatches(token, config.auth.tokens[0]!.digest)).toBe(true);
  });

  it('when the name has a separator in it, then it is refused', async () => {
    const t = io('a-long-enough-password\n');
    expect(await runHashPassword('an:a', {}, t.io)).toBe(2);
  });
});
