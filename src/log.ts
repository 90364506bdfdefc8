import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Keys that may hold message content or secrets. Their values never reach a log line, at any
 * depth (policy §3: no message body is ever logged; issue 6: no subject of a clinical case, no
 * secret). Redaction belongs on the root logger so that no child or call site can forget it.
 */
export const CONTENT_KEYS = [
  'text', 'html', 'body', 'raw', 'rawSource', 'textAsHtml', 'subject', 'content', 'attachments',
  'password', 'pass', 'secret', 'token', 'authorization', 'cookie', 'set-cookie',
];
const CONTENT_KEY_SET = new Set(CONTENT_KEYS.map((k) => k.toLowerCase()));

/** pino's own redaction, for the top two levels (fast path); `scrub` covers any depth. */
export const REDACT_PATHS = [...CONTENT_KEYS.filter((k) => !k.includes('-')), ...CONTENT_KEYS.filter((k) => !k.includes('-')).map((k) => `*.${k}`)];

const CENSOR = '[redacted]';

/** A 9-digit run (optionally grouped, optionally `PT`-prefixed) anywhere in a log string keeps its last 3 digits only. */
export function maskNifs(value: string): string {
  return value.replace(/\b(?:PT)?(\d{3})[ .-]?(\d{3})[ .-]?(\d{3})\b/gi, (_m, _a, _b, c: string) => `******${c}`);
}

/** Credentials in URLs (imap://user:pass@host) and bearer tokens are never logged. */
export function maskUrlCredentials(value: string): string {
  return value
    .replace(/(\w+:\/\/)([^:@/\s]+):([^@/\s]+)@/g, '$1$2:***@')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 ***');
}

export function maskString(value: string): string {
  return maskUrlCredentials(maskNifs(value));
}

/** Masks strings and drops content keys at any depth; errors are left to the `err` serializer. */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskString(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = CONTENT_KEY_SET.has(k.toLowerCase()) && v !== undefined && v !== null ? CENSOR : scrub(v, depth + 1);
  }
  return out;
}

function serializeError(err: Error & { code?: string; responseCode?: number; cause?: unknown }, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: err.name,
    message: maskString(err.message ?? ''),
    code: err.code,
    responseCode: err.responseCode,
    stack: err.stack ? maskString(err.stack) : undefined,
  };
  if (err.cause instanceof Error && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

export interface LoggerConfig {
  level?: string;
  /** Human-readable output (development); JSON lines otherwise. */
  pretty?: boolean;
}

/**
 * The one root logger. Pass it into factories; adapters take `logger.child({ component })`.
 * Log objects with the fixed field names (`caseId`, `messageId`, `jobId`, `queue`, `action`,
 * `categories`, `attempt`, `err`). With `destination` (tests, a sink) output is always JSON.
 */
export function createLogger(config: LoggerConfig = {}, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    formatters: {
      log: (object) => scrub(object) as Record<string, unknown>,
      bindings: (bindings) => scrub(bindings) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskString(a) : a));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    serializers: { err: serializeError },
  };
  if (destination) return pino(options, destination);
  if (config.pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
      },
    });
  }
  return pino(options);
}
