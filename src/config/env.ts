import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors';
import { describeImapEndpoint, parseImapUrl, parseMarkHandled } from '../adapters/imap-url';
import type { MarkHandled } from '../adapters/imap-source';
import { DEFAULT_CONFIG_DIR, deepFreeze, loadRules } from './load';
import type { Rules } from './schema';

/**
 * The service's environment (connections, secrets, role), validated once at boot together with
 * the rules files: every problem of both is listed in one ConfigError (architecture habit 5).
 * This folder is the only place that reads the environment; callers pass `process.env` in.
 */

export const ROLES = ['all', 'poller', 'worker', 'web'] as const;
export type Role = (typeof ROLES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** HMAC keys shorter than this make case tokens guessable offline (policy §7). */
export const MIN_SECRET_LENGTH = 32;

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const urlWithSchemes = (schemes: readonly string[], example: string) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          const url = new URL(value);
          return schemes.includes(url.protocol.replace(/:$/, '')) && url.hostname !== '';
        } catch {
          return false;
        }
      },
      // The value itself is never echoed: it may carry a password.
      { message: `must be a URL like ${example} (${schemes.map((s) => `${s}://`).join(' or ')})` },
    );

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const email = z.string().trim().toLowerCase().pipe(z.email({ message: 'must be an e-mail address' }));

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const EnvSchema = z.object({
  ROLE: z.enum(ROLES).default('all'),
  REDIS_URL: urlWithSchemes(['redis', 'rediss'], 'redis://127.0.0.1:6379/0').default('redis://127.0.0.1:6379'),
  /** `imap://user:pass@host:port/MAILBOX`, `imaps://` for TLS. Required for the poller role. */
  IMAP_URL: optionalText.pipe(urlWithSchemes(['imap', 'imaps'], 'imaps://user:pass@imap.example.pt/INBOX').optional()),
  /** How handled messages are marked: `move:FOLDER` (created when missing) or `flag:KEYWORD`. */
  IMAP_MARK_HANDLED: z.string().trim().default('move:Triaged'),
  /** Fallback poll when IDLE is quiet, in seconds. */
  IMAP_POLL_SECONDS: positiveInt(60),
  /** The mailbox lease of the active poller (renewed every third): a crashed poller's standby takes over after at most this. */
  IMAP_LEASE_SECONDS: positiveInt(30),
  /** `smtp://user:pass@host:port`, `smtps://` for TLS. Required for the worker role. */
  SMTP_URL: optionalText.pipe(urlWithSchemes(['smtp', 'smtps'], 'smtps://user:pass@smtp.example.pt:465').optional()),
  /** Pooled SMTP connections per worker process. */
  SMTP_POOL_SIZE: positiveInt(5),
  /**
   * The folder of the IMAP_URL account where the SMTP server files what it accepted (Gmail and
   * Microsoft 365 do, as Sent): a send cut short by a crash is looked up there before it goes again.
   */
  SMTP_SENT_FOLDER: optionalText,
  /** The shared inbox: From of our mail, and (plus-addressed) where team answers come back. */
  TRIAGE_INBOX_ADDRESS: optionalText.pipe(email.optional()),
  /** Display name on our mail. */
  TRIAGE_FROM_NAME: z.string().trim().min(1).default('Apoio Médico Online'),
  /** Signs case tokens (policy §7). Required for the worker role. */
  TRIAGE_SECRET: optionalText.pipe(
    z.string().min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`).optional(),
  ),
  /** The ombudsman destination (policy §3 names none); used when config/routing.yaml has none. */
  TRIAGE_OMBUDSMAN_ADDRESS: optionalText.pipe(email.optional()),
  /** Folder of rules files (default: the shipped config/). */
  TRIAGE_CONFIG_DIR: optionalText,
  /** Namespace of every Redis key of the service (BullMQ prefix and case store). No `:`. */
  TRIAGE_REDIS_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('triage'),
  /** Raw messages are kept this many days in Redis (the mailbox keeps its own copy). */
  TRIAGE_RAW_RETENTION_DAYS: positiveInt(30),
  /** Completed jobs are kept this many days; failed jobs are never removed automatically. */
  TRIAGE_COMPLETED_RETENTION_DAYS: positiveInt(7),
  CLASSIFY_CONCURRENCY: positiveInt(4),
  SEND_CONCURRENCY: positiveInt(4),
  /** First retry delay of a failed send; later ones double (RFC 5321 §4.5.4.1 asks for patience). */
  SEND_RETRY_DELAY_MS: positiveInt(30_000),
  SEND_ATTEMPTS: positiveInt(8),
  /** A worker's lock on a job, renewed at half: the jobs of a worker that died run again after about this long. */
  WORKER_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** A job whose worker died this many times goes to the failed jobs (a message that kills the process), not again. */
  WORKER_MAX_STALLED: positiveInt(5),
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_PRETTY: flag.default(false),
});

export type Env = z.infer<typeof EnvSchema>;

export interface ImapConfig {
  /** The URL as given (holds the password: never log it). */
  url: string;
  /** `imap://user@host:port/MAILBOX`, no password. */
  endpoint: string;
  mailbox: string;
  markHandled: MarkHandled;
  pollSeconds: number;
  leaseSeconds: number;
}

export interface SmtpConfig {
  url: string;
  poolSize: number;
  /** Where the server keeps a copy of what it accepted (in the IMAP_URL account), or null. */
  sentFolder: string | null;
}

export interface AppConfig {
  role: Role;
  redisUrl: string;
  redisPrefix: string;
  imap: ImapConfig | null;
  smtp: SmtpConfig | null;
  inboxAddress: string | null;
  fromName: string;
  secret: string | null;
  port: number;
  log: { level: (typeof LOG_LEVELS)[number]; pretty: boolean };
  retention: { rawDays: number; completedDays: number };
  workers: {
    classifyConcurrency: number;
    sendConcurrency: number;
    sendRetryDelayMs: number;
    sendAttempts: number;
    lockMs: number;
    maxStalled: number;
  };
  configDir: string;
  /** The rules with the environment merged in (ombudsman address, inbox address). */
  rules: Rules;
}

export interface LoadConfigOptions {
  /** Overrides ROLE. */
  role?: Role;
  /**
   * Which connections the caller will open itself. The demo replaces IMAP and SMTP with folders,
   * so it does not need their URLs.
   */
  needs?: { imap?: boolean; smtp?: boolean; secret?: boolean; inbox?: boolean };
  /** Rules folder override (the CLI's --config); else TRIAGE_CONFIG_DIR, else the shipped one. */
  configDir?: string;
}

/** What each role needs from the environment. */
export function roleNeeds(role: Role): Required<NonNullable<LoadConfigOptions['needs']>> {
  const poller = role === 'all' || role === 'poller';
  const worker = role === 'all' || role === 'worker';
  // The web role releases review cases: it composes forwards with the case token too.
  const web = role === 'all' || role === 'web';
  return { imap: poller, smtp: worker, secret: worker || web, inbox: worker || web };
}

/**
 * Validates the environment and the rules files and merges them: every problem of both is listed
 * in one ConfigError. The result is deep-frozen. Refuses an enabled ombudsman route with no
 * address in config/routing.yaml nor TRIAGE_OMBUDSMAN_ADDRESS (policy §3).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, options: LoadConfigOptions = {}): AppConfig {
  const issues: ConfigIssue[] = [];
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push({ file: 'env', key: issue.path.join('.'), message: issue.message });
    }
  }
  const e = parsed.success ? parsed.data : undefined;
  const role: Role = options.role ?? e?.ROLE ?? 'all';
  const needs = { ...roleNeeds(role), ...(options.needs ?? {}) };

  if (e) {
    if (needs.imap && !e.IMAP_URL) issues.push({ file: 'env', key: 'IMAP_URL', message: `required for the ${role} role` });
    if (needs.smtp && !e.SMTP_URL) issues.push({ file: 'env', key: 'SMTP_URL', message: `required for the ${role} role` });
    if (needs.smtp && e.SMTP_SENT_FOLDER && !e.IMAP_URL) {
      issues.push({ file: 'env', key: 'SMTP_SENT_FOLDER', message: 'needs IMAP_URL: the Sent folder is looked up in that account' });
    }
    if (needs.secret && !e.TRIAGE_SECRET) {
      issues.push({ file: 'env', key: 'TRIAGE_SECRET', message: `required for the ${role} role (at least ${MIN_SECRET_LENGTH} characters)` });
    }
    if (needs.inbox && !e.TRIAGE_INBOX_ADDRESS) {
      issues.push({ file: 'env', key: 'TRIAGE_INBOX_ADDRESS', message: `required for the ${role} role` });
    }
  }

  let imap: ImapConfig | undefined;
  if (e?.IMAP_URL) {
    try {
      const endpoint = parseImapUrl(e.IMAP_URL);
      imap = {
        url: e.IMAP_URL,
        endpoint: describeImapEndpoint(endpoint),
        mailbox: endpoint.mailbox,
        markHandled: parseMarkHandled(e.IMAP_MARK_HANDLED),
        pollSeconds: e.IMAP_POLL_SECONDS,
        leaseSeconds: e.IMAP_LEASE_SECONDS,
      };
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues.map((i) => ({ ...i, file: 'env' })));
      else throw err;
    }
  }

  const configDir = options.configDir ?? e?.TRIAGE_CONFIG_DIR ?? DEFAULT_CONFIG_DIR;
  let rules: Rules | undefined;
  try {
    rules = loadRules(configDir);
  } catch (err) {
    if (err instanceof ConfigError) issues.push(...err.issues);
    else issues.push({ file: configDir, key: '', message: `cannot read the rules: ${(err as Error).message}` });
  }

  let merged: Rules | undefined;
  if (rules) {
    // Read these two on their own, so an unrelated bad variable does not add a spurious ombudsman issue.
    const field = (key: 'TRIAGE_OMBUDSMAN_ADDRESS' | 'TRIAGE_INBOX_ADDRESS'): string | undefined => {
      const r = EnvSchema.shape[key].safeParse(env[key]);
      return r.success ? r.data : undefined;
    };
    merged = mergeEnvIntoRules(rules, field('TRIAGE_OMBUDSMAN_ADDRESS'), field('TRIAGE_INBOX_ADDRESS'));
    if (merged.routes.ombudsman.enabled && merged.routes.ombudsman.to.length === 0) {
      issues.push({
        file: 'routing.yaml',
        key: 'routes.ombudsman.to',
        message:
          'the ombudsman route is enabled but has no address: set routes.ombudsman.to or TRIAGE_OMBUDSMAN_ADDRESS, or set routes.ombudsman.enabled to false',
      });
    }
  }

  if (issues.length > 0 || !e || !merged) throw new ConfigError(issues);

  const config: AppConfig = {
    role,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.TRIAGE_REDIS_PREFIX,
    imap: imap ?? null,
    smtp: e.SMTP_URL ? { url: e.SMTP_URL, poolSize: e.SMTP_POOL_SIZE, sentFolder: e.SMTP_SENT_FOLDER ?? null } : null,
    inboxAddress: e.TRIAGE_INBOX_ADDRESS ?? null,
    fromName: e.TRIAGE_FROM_NAME,
    secret: e.TRIAGE_SECRET ?? null,
    port: e.PORT,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    retention: { rawDays: e.TRIAGE_RAW_RETENTION_DAYS, completedDays: e.TRIAGE_COMPLETED_RETENTION_DAYS },
    workers: {
      classifyConcurrency: e.CLASSIFY_CONCURRENCY,
      sendConcurrency: e.SEND_CONCURRENCY,
      sendRetryDelayMs: e.SEND_RETRY_DELAY_MS,
      sendAttempts: e.SEND_ATTEMPTS,
      lockMs: e.WORKER_LOCK_MS,
      maxStalled: e.WORKER_MAX_STALLED,
    },
    configDir,
    rules: merged,
  };
  return deepFreeze(config);
}

/** The rules with the ombudsman address (when config has none) and the inbox address added. */
export function mergeEnvIntoRules(rules: Rules, ombudsman: string | undefined, inbox: string | undefined): Rules {
  const ombudsmanTo = rules.routes.ombudsman.to.length > 0 || !ombudsman ? rules.routes.ombudsman.to : [ombudsman];
  const inboxes = inbox && !rules.self.inboxAddresses.includes(inbox) ? [...rules.self.inboxAddresses, inbox] : rules.self.inboxAddresses;
  return deepFreeze({
    ...rules,
    self: { ...rules.self, inboxAddresses: [...inboxes] },
    routes: { ...rules.routes, ombudsman: { ...rules.routes.ombudsman, to: [...ombudsmanTo] } },
  });
}

/** The configuration as it may be logged: no secrets, no passwords in URLs. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  const mask = (url: string): string => {
    try {
      const u = new URL(url);
      if (u.password) u.password = '***';
      return u.toString();
    } catch {
      return '(invalid)';
    }
  };
  return {
    role: config.role,
    redis: mask(config.redisUrl),
    redisPrefix: config.redisPrefix,
    imap: config.imap ? { endpoint: config.imap.endpoint, markHandled: config.imap.markHandled } : null,
    smtp: config.smtp ? { url: mask(config.smtp.url), poolSize: config.smtp.poolSize, sentFolder: config.smtp.sentFolder } : null,
    inbox: config.inboxAddress,
    secret: config.secret ? 'set' : 'unset',
    port: config.port,
    configDir: config.configDir,
    ombudsmanRoute: config.rules.routes.ombudsman.enabled ? 'enabled' : 'disabled',
  };
}

/** The process environment: the one place the service reads it (architecture habit 5). */
export function processEnv(): Readonly<Record<string, string | undefined>> {
  return process.env;
}
