/**
 * Every error the service throws on purpose has a stable code from this table. Business
 * outcomes (review, suppress…) are values in the Decision, never exceptions.
 */
export const ERROR_CODES = {
  TRIAGE_CONFIG_INVALID: 'A configuration file or environment variable is missing or wrong',
  TRIAGE_CONFIG_UNREADABLE: 'A configuration file could not be read or is not valid YAML',
  TRIAGE_MESSAGE_UNPARSEABLE: 'A message could not be parsed at all',
  TRIAGE_MESSAGE_TOO_LARGE: 'A message is larger than the configured limit',
  TRIAGE_USAGE: 'The command line was not understood',
  TRIAGE_SMTP_PERMANENT: 'The SMTP server refused a mail for good (5xx)',
  TRIAGE_SMTP_TRANSIENT: 'The SMTP server refused a mail for now (4xx, network)',
  TRIAGE_SMTP_IN_DOUBT: 'A send cut short by a crash is not in the Sent folder yet; looked for again before sending',
  TRIAGE_IMAP: 'The IMAP server failed or refused a command',
  TRIAGE_REDIS: 'Redis failed or refused a command',
  TRIAGE_LOCK_LOST: 'A lease held in Redis was lost',
  TRIAGE_TOKEN_INVALID: 'An answer carried no valid case token',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class TriageError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TriageError';
    this.code = code;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }
}

/** One problem in the configuration: where it is and what is wrong. */
export interface ConfigIssue {
  file: string;
  key: string;
  message: string;
}

/** Lists every configuration problem at once, so an operator fixes them in one go. */
export class ConfigError extends TriageError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(
      'TRIAGE_CONFIG_INVALID',
      `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  ${i.file}: ${i.key || '(top level)'}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.issues = Object.freeze([...issues]);
  }
}
