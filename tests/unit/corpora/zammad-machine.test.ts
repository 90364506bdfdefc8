import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseMessage } from '../../../src/adapters/mime';
import { loadRules } from '../../../src/config/load';
import { readJsonl } from '../../helpers/load-eml';
import { detectMachineMail, type MachineVerdict } from '../../../src/core/machine-mail';
import type { Rules } from '../../../src/core/types';

/**
 * Zammad's real-world fixtures (shared/corpora/zammad-mail-fixtures): 106 odd messages (spam,
 * newsletters, bounces, broken MIME) and 17 header samples from Zammad's auto-response tests.
 */
const CORPUS = path.resolve(__dirname, '../../../../shared/corpora/zammad-mail-fixtures');

interface MailLabel {
  file: string;
  kind: string;
  policy_s5_headers_say_suppress: boolean;
}

interface HeaderSample {
  id: string;
  raw: string;
  triage_policy_s5_rules_matched: string[];
}

const rules = loadRules();
const mails = readJsonl<MailLabel>(path.join(CORPUS, 'labels.jsonl'));
const samples = readJsonl<HeaderSample>(path.join(CORPUS, 'auto-response-header-samples.jsonl'));

describe('detectMachineMail on the Zammad mail fixtures', () => {
  const verdicts = new Map<string, MachineVerdict>();

  beforeAll(async () => {
    for (const label of mails) {
      verdicts.set(label.file, detectMachineMail(await parseMessage(readFileSync(path.join(CORPUS, label.file))), rules));
    }
  }, 60_000);

  it('when every fixture is parsed and decided, then none throws', () => {
    expect(mails.length).toBeGreaterThanOrEqual(100);
    expect(verdicts.size).toBe(mails.length);
  });

  it('when the policy §5 header rules apply to a fixture, then it is machine mail', () => {
    const expected = mails.filter((m) => m.policy_s5_headers_say_suppress);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.filter((m) => !verdicts.get(m.file)?.machine).map((m) => m.file)).toEqual([]);
  });

  it('when a fixture is a bounce, then it is machine mail', () => {
    const bounces = mails.filter((m) => m.kind === 'bounce');
    expect(bounces.filter((m) => !verdicts.get(m.file)?.machine).map((m) => m.file)).toEqual([]);
  });

  it('when no policy §5 rule applies (ordinary mail, spam, Jira notices), then it is not machine mail', () => {
    const ordinary = mails.filter((m) => !m.policy_s5_headers_say_suppress);
    const flagged = ordinary.flatMap((m) => {
      const verdict = verdicts.get(m.file);
      return verdict?.machine ? [`${m.file}: ${verdict.reason}`] : [];
    });
    expect(flagged).toEqual([]);
  });
});

describe('detectMachineMail on the Zammad auto-response header samples', () => {
  const ownDomain = rules.self.messageIdDomains[0]!;
  // Beyond the policy's own list: our Message-ID domain (the sample's {FQDN}) and the Exchange
  // out-of-office pair X-Auto-Response-Suppress + X-MS-Exchange-Inbox-Rules-Loop.
  const alsoMachine = new Set(['zammad-hdr-06', 'zammad-hdr-14']);

  it.each(samples.map((s) => [s.id, s] as const))('when sample %s is decided, then it matches the policy rules', async (_id, sample) => {
    const raw = Buffer.from(sample.raw.replace(/\{FQDN\}/g, ownDomain), 'utf8');
    const verdict = detectMachineMail(await parseMessage(raw), rules);
    const expected = sample.triage_policy_s5_rules_matched.length > 0 || alsoMachine.has(sample.id);
    expect(verdict.machine).toBe(expected);
  });

  it('when X-Auto-Response-Suppress or X-Loop: yes is the only sign, then it is not machine mail', async () => {
    for (const id of ['zammad-hdr-02', 'zammad-hdr-05', 'zammad-hdr-11']) {
      const sample = samples.find((s) => s.id === id)!;
      expect(detectMachineMail(await parseMessage(Buffer.from(sample.raw, 'utf8')), rules)).toEqual({ machine: false });
    }
  });
});
