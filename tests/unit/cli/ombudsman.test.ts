import { runOmbudsman } from '../../../src/cli/ombudsman';
import { caseIdOf } from '../../../src/workers/ombudsman';

describe('runOmbudsman', () => {
  const run = async (ref: string, action: string | undefined, options: Record<string, string> = {}) => {
    const lines: string[] = [];
    const code = await runOmbudsman(ref, action, options, { env: {}, out: (l) => lines.push(l), err: (l) => lines.push(l) });
    return { code, output: lines.join('\n') };
  };

  it.each([
    ['a reference that is not a case', 'OUV-2026-000001x', 'closed', {}, /not a case reference/],
    ['an unknown action', 'MO-2026-000001', 'solved', {}, /one of in_analysis, answered, closed, complex/],
    ['complex without a reason', 'MO-2026-000001', 'complex', {}, /needs --reason/],
    ['a fractional --days', 'MO-2026-000001', 'complex', { reason: 'x', days: '7.5' }, /whole number/],
  ])('when given %s, then it stops with usage exit code 2 before touching Redis', async (_label, ref, action, options, message) => {
    const result = await run(ref, action, options);
    expect(result.code).toBe(2);
    expect(result.output).toMatch(message);
  });

  it('when the environment lacks the inbox and secret, then it lists what is missing and exits 1', async () => {
    const result = await run('MO-2026-000001', 'closed');
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/TRIAGE_SECRET/);
    expect(result.output).toMatch(/TRIAGE_INBOX_ADDRESS/);
  });
});

describe('caseIdOf', () => {
  it.each([
    ['MO-2026-000123', 'MO-2026-000123'],
    ['[#MO-2026-000123]', 'MO-2026-000123'],
    [' mo-2026-000123 ', 'MO-2026-000123'],
    ['OUV-2026-000001', 'OUV-2026-000001'],
    ['MO-2026-12', null],
    ['', null],
  ])('when the reference is %p, then the case id is %p', (ref, expected) => {
    expect(caseIdOf(ref)).toBe(expected);
  });
});
