import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseMessage } from '../../../src/adapters/mime';
import { loadRules } from '../../../src/config/load';
import { detectMachineMail } from '../../../src/core/machine-mail';

/**
 * The Sisimai corpus (shared/corpora/sisimai-set-of-emails): 833 bounces, auto-replies and
 * feedback reports collected by the Sisimai project, and 3 human messages. Policy §5 requires at
 * least 99% of the machine mail to be recognised, and no human message taken for a machine.
 */
const CORPUS = path.resolve(__dirname, '../../../../shared/corpora/sisimai-set-of-emails');

interface Label {
  file: string;
  kind: string;
  machine: boolean;
}

/**
 * `line-endings/cr/` holds the samples with bare-CR line endings (old Mac files, "robustness
 * only" in the corpus README): SMTP and IMAP deliver CRLF, so for the recall figure each is read
 * as it would arrive; the raw bytes are checked separately to be decided without throwing.
 */
function asDelivered(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  return text.includes('\n') ? raw : Buffer.from(text.replace(/\r/g, '\r\n'), 'latin1');
}

const rules = loadRules();
const labels: Label[] = readFileSync(path.join(CORPUS, 'labels.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as Label);

/**
 * Sisimai decodes the bounce quoted inside these, but the outer message is a person forwarding it
 * ("Fwd: Returned mail", own words on top, no machine header): policy §5 makes it a customer.
 * The corpus labels the second one human and the first one machine.
 */
const FORWARDED_BY_A_PERSON = ['bounce/lhost-sendmail-14.eml', 'bounce/err-make-test-36.eml'];

type Result = { label: Label; machine: boolean; reason: string | null };
let results: Result[] = [];

beforeAll(async () => {
  results = [];
  for (const label of labels) {
    const message = await parseMessage(asDelivered(readFileSync(path.join(CORPUS, label.file))));
    const verdict = detectMachineMail(message, rules);
    results.push({ label, machine: verdict.machine, reason: verdict.machine ? verdict.reason : null });
  }
}, 120_000);

describe('detectMachineMail on the Sisimai corpus', () => {
  it('when the corpus is read, then every labelled file is there', () => {
    expect(labels.length).toBeGreaterThanOrEqual(800);
    expect(results).toHaveLength(labels.length);
  });

  it('when a message is labelled machine, then at least 99% are detected as machine mail', () => {
    const machine = results.filter((r) => r.label.machine);
    const missed = machine.filter((r) => !r.machine).map((r) => r.label.file);
    const recall = (machine.length - missed.length) / machine.length;
    expect(recall).toBeGreaterThanOrEqual(0.99);
    // Only misses the policy explains are tolerated: a person forwarding a bounce (see below).
    expect(missed.filter((file) => !FORWARDED_BY_A_PERSON.includes(file))).toEqual([]);
  });

  it.each(['bounce', 'autoreply', 'other'])('when the kind is %s, then every machine message of that kind is detected', (kind) => {
    const missed = results
      .filter((r) => r.label.kind === kind && r.label.machine && !r.machine && !FORWARDED_BY_A_PERSON.includes(r.label.file))
      .map((r) => r.label.file);
    expect(missed).toEqual([]);
  });

  it('when a message is labelled human, then it is not machine mail', () => {
    const human = results.filter((r) => !r.label.machine);
    expect(human.length).toBeGreaterThan(0);
    expect(human.filter((r) => r.machine).map((r) => `${r.label.file}: ${r.reason}`)).toEqual([]);
  });

  it.each(FORWARDED_BY_A_PERSON)('when a person forwards a bounce (%s), then the outer message decides: not machine mail', (file) => {
    expect(results.find((r) => r.label.file === file)?.machine).toBe(false);
  });

  it('when a message is machine mail, then the reason names the evidence', () => {
    for (const r of results.filter((x) => x.machine)) expect(r.reason).toMatch(/\S/);
  });
});

describe('detectMachineMail on bare-CR files as stored', () => {
  const crFiles = labels.filter((l) => l.file.startsWith('line-endings/cr/'));

  it('when a bare-CR file is parsed as it is, then it is judged as its label says', async () => {
    expect(crFiles.length).toBeGreaterThan(0);
    const wrong: string[] = [];
    for (const label of crFiles) {
      const message = await parseMessage(readFileSync(path.join(CORPUS, label.file)));
      if (detectMachineMail(message, rules).machine !== label.machine) wrong.push(label.file);
    }
    expect(wrong).toEqual([]);
  });
});
