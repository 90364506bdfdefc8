import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseMessage } from '../../../src/adapters/mime';
import { loadRules } from '../../../src/config/load';
import { explainMessage } from '../../../src/explain';
import { listEml, readJsonl } from '../../helpers/load-eml';

/**
 * Two collections of odd real-world mail (shared/corpora, see each folder's README): Zammad's
 * parser fixtures and 60 messages from four MIME parsers' test suites. Every message must get a
 * decision without a crash, whatever its encoding; where the source projects recorded what a
 * parser must read (decoded subject, addresses, attachment count, body start), the adapter must
 * read the same, except for the deviations listed with their reason.
 */

const CORPORA = path.resolve(__dirname, '../../../../shared/corpora');
const ZAMMAD = path.join(CORPORA, 'zammad-mail-fixtures');
const MIME = path.join(CORPORA, 'mime-parser-fixtures');
const rules = loadRules();
const ACTIONS = ['forward', 'ask_identity', 'review', 'suppress'];

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

describe('explainMessage', () => {
  const files = [...listEml(ZAMMAD), ...listEml(MIME)];

  it('when the corpora are read, then all 166 messages are there', () => {
    expect(listEml(ZAMMAD)).toHaveLength(106);
    expect(listEml(MIME)).toHaveLength(60);
  });

  it.each(files.map((file) => [path.relative(CORPORA, file), file]))(
    'when %s is explained, then it gets a decision from decide() without a crash',
    async (_name, file) => {
      const line = await explainMessage(readFileSync(file), rules, file);
      expect(ACTIONS).toContain(line.action);
      expect(line.reasons.filter((reason) => reason.startsWith('could not be decided'))).toEqual([]);
    },
  );
});

describe('parseMessage', () => {
  describe('mime-parser-fixtures (labels.jsonl source_expectation)', () => {
    interface Person {
      name: string;
      email: string;
    }
    interface Label {
      file: string;
      source_expectation: null | {
        From?: Person;
        To?: Person;
        Subject?: string;
        'Message-ID'?: string;
        text?: string;
        html?: string;
        attachments?: number;
      };
    }

    /** Where this adapter knowingly reads otherwise than the source's test, and why. */
    const DEVIATIONS: Record<string, { skip: string[]; reason: string }> = {
      'zbateson/m1011.eml': {
        skip: ['Subject', 'To', 'text'],
        reason:
          'raw (not encoded-word) UTF-7 in the headers, which are only re-read when 8-bit; the body decodes as UTF-7 but its runs do not spell the reference text ("Fr+XKM-he" is "Fr岣he" in any UTF-7 decoder)',
      },
      'zbateson/m0018.eml': {
        skip: ['attachments'],
        reason: 'the three attachments are uuencoded inside the text/plain body; mailparser does not split uuencode, so they stay in the text',
      },
    };

    const SNIPPETS: Record<string, string> = {
      'HasenundFrosche.txt': 'Die Hasen und die Frösche',
      'hareandtortoise.txt': 'The Hare and the Tortoise',
    };

    const labels = readJsonl<Label>(path.join(MIME, 'labels.jsonl')).filter((label) => label.source_expectation);

    it('when the labels are read, then 25 carry a source expectation', () => {
      expect(labels).toHaveLength(25);
      expect(Object.keys(DEVIATIONS).every((file) => labels.some((label) => label.file === file))).toBe(true);
    });

    it.each(labels.map((label) => [label.file, label]))(
      'when %s is parsed, then it reads as the source project asserts',
      async (file, label) => {
        const expected = label.source_expectation!;
        const skip = new Set(DEVIATIONS[file]?.skip ?? []);
        const message = await parseMessage(readFileSync(path.join(MIME, file)));
        if (expected.Subject !== undefined && !skip.has('Subject')) expect(message.subject).toBe(expected.Subject);
        if (expected.From && !skip.has('From')) {
          expect(message.from).toEqual({ name: expected.From.name, address: expected.From.email });
        }
        if (expected.To && !skip.has('To')) {
          expect(message.to[0]).toEqual({ name: expected.To.name, address: expected.To.email });
        }
        if (expected['Message-ID']) expect(message.messageId).toBe(`<${expected['Message-ID']}>`);
        if (expected.attachments !== undefined && !skip.has('attachments')) {
          expect(message.attachments).toHaveLength(expected.attachments);
        }
        const reference = expected.text ?? expected.html;
        if (reference && !skip.has('text')) {
          expect(message.text).toContain(SNIPPETS[reference]);
          expect(message.text).not.toContain('\ufffd');
        }
      },
    );

    // Expectations of our own for messages the sources check in ways not transcribed (README):
    // what the README says each file covers, read the way a person would read it.
    it.each([
      ['mikel-mail/error_emails__invalid_subject_characters.eml', 'subject', 'Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro'],
      ['mikel-mail/rfc6532__utf8_headers.eml', 'subject', 'Säying Hello'],
      ['mikel-mail/multi_charset__japanese_iso_2022.eml', 'subject', 'まみむめも'],
      ['mikel-mail/multi_charset__japanese_iso_2022.eml', 'text', 'すみません。'],
      ['mikel-mail/multi_charset__japanese_shift_jis.eml', 'text', 'このメールはテスト用のメールです。'],
      ['php-mime-mail-parser/issue212.eml', 'subject', 'Automatyczna odpowiedź: Piotrze, test z 6 miesięcy nauki ciągle na Ciebie czeka'],
      ['php-mime-mail-parser/m0021.eml', 'text', 'mini plain body'],
      ['mikel-mail/plain_emails__raw_email10.eml', 'text', 'Envoyé'],
      ['mikel-mail/mime_emails__raw_email_with_illegal_boundary.eml', 'text', 'This is an outlook test'],
      ['nodemailer-mailparser/nested.eml', 'text', 'Good evening.'],
      ['zbateson/invalid-charset.eml', 'text', 'The Hare and the Tortoise'],
    ])('when %s is parsed, then its %s holds %j', async (file, field, expected) => {
      const message = await parseMessage(readFileSync(path.join(MIME, file)));
      expect(field === 'subject' ? message.subject : message.text).toContain(expected);
    });

    it.each([
      ['mikel-mail/attachment_emails__attachment_message_rfc822.eml', 1],
      ['nodemailer-mailparser/decoderended.eml', 1],
      ['zbateson/m4007.eml', 1],
    ])('when %s carries an attached message, then it is parsed into embedded', async (file, count) => {
      const message = await parseMessage(readFileSync(path.join(MIME, file)));
      expect(message.embedded).toHaveLength(count);
      expect(message.attachments.filter((attachment) => attachment.isMessage)).toHaveLength(count);
    });

    it.each([
      ['zbateson/invalid-charset.eml', /^unknown charset "invalid-charset"/],
      ['mikel-mail/plain_emails__raw_email10.eml', /^unknown charset "X-UNKNOWN"/],
      ['zbateson/github-102-02.eml', /^text is not valid UTF-8/],
    ])('when %s has an unusable charset, then the text is read and the problem noted', async (file, problem) => {
      const message = await parseMessage(readFileSync(path.join(MIME, file)));
      expect(message.problems.some((entry) => problem.test(entry))).toBe(true);
      expect(message.text).not.toContain('\ufffd');
    });
  });

  describe('zammad-mail-fixtures (labels.jsonl zammad_parser_expectation)', () => {
    interface Label {
      file: string;
      zammad_parser_expectation: null | {
        subject?: string;
        from_email?: string;
        content_type?: string;
        body_prefix?: string;
      };
    }

    /** Senders Zammad reads from elsewhere than a usable From (its own fallbacks), with why. */
    const FROM_DEVIATIONS: Record<string, string> = {
      'mail/mail016.eml': 'no From header at all: Zammad falls back to Return-Path',
      'mail/mail017.eml': 'two From headers, the first without an address: Zammad takes the second',
      'mail/mail019.eml': 'From: "我" <> has no address: Zammad falls back to another header',
      'mail/mail053.eml': 'From: MAILER-DAEMON (no domain) is read as a display name by mailparser',
      'mail/mail087.eml': 'From: Test test@example.com (no angle brackets): Zammad keeps the whole string',
    };

    const labels = readJsonl<Label>(path.join(ZAMMAD, 'labels.jsonl')).filter((label) => label.zammad_parser_expectation);

    it('when the labels are read, then 85 carry a parser expectation', () => {
      expect(labels).toHaveLength(85);
    });

    it.each(labels.map((label) => [label.file, label]))(
      'when %s is parsed, then subject, sender and a plain body read as Zammad reads them',
      async (file, label) => {
        const expected = label.zammad_parser_expectation!;
        const message = await parseMessage(readFileSync(path.join(ZAMMAD, file)));
        if (expected.subject !== undefined) expect(squash(message.subject)).toBe(squash(expected.subject));
        if (expected.from_email !== undefined && !FROM_DEVIATIONS[file]) {
          expect(message.from?.address).toBe(expected.from_email.toLowerCase());
        }
        // Zammad writes "no visible content" for an empty body; there the adapter may read more.
        if (expected.content_type === 'text/plain' && expected.body_prefix && expected.body_prefix !== 'no visible content') {
          expect(squash(message.text)).toContain(squash(expected.body_prefix).slice(0, 60));
        }
      },
    );

    it.each([
      ['mail/mail046.eml', '转发：整体提升企业服务水平', 'raw GB2312 bytes in the headers'],
      ['mail/mail093.eml', 'ツール', 'raw Shift_JIS bytes in a message that declares ISO-2022-JP'],
    ])('when %s has %s, then the subject is decoded', async (file, subject) => {
      const message = await parseMessage(readFileSync(path.join(ZAMMAD, file)));
      expect(message.subject).toBe(subject);
    });

    it('when mail054 lost the indentation of its boundary parameter, then its parts are still read', async () => {
      const message = await parseMessage(readFileSync(path.join(ZAMMAD, 'mail/mail054.eml')));
      expect(message.text.trim()).toBe('some text');
    });

    it('when mail105 is a multipart with no boundary at all, then its body is still read', async () => {
      const message = await parseMessage(readFileSync(path.join(ZAMMAD, 'mail/mail105.eml')));
      expect(message.text).toContain('Old programmers never die.');
    });
  });
});
