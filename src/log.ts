import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that may hold message content or secrets. Redaction belongs on the root logger so that
 * no child or call site can forget it (policy: health data is sacred).
 */
export const REDACT_PATHS = [
  'text', 'html', 'body', 'raw', 'subject', 'content', 'attachments', 'password', 'pass', 'secret', 'token',
  'authorization', 'cookie',
  '*.text', '*.html', '*.body', '*.raw', '*.subject', '*.content', '*.attachments', '*.password', '*.pass',
  '*.secret', '*.token', '*.authorization', '*.cookie',
];

/** A 9-digit run (optionally grouped) anywhere in a log string is masked to its last 3 digits. */
export function maskNifs(value: string): string {
  return value.replace(/\b(?:PT)?(\d{3})[ .-]?(\d{3})[ .-]?(\d{3})\b/gi, (_m, _a, _b, c: string) => `******${c}`);
}

/** Credentials in URLs (imap://user:pass@host) are never logged. */
export function maskUrlCredentials(value: string): string {
  return value.replace(/(\w+:\/\/)([^:@/\s]+):([^@/\s]+)@/g, '$1$2:***@');
}

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskUrlCredentials(maskNifs(value));
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = scrub(v, depth + 1);
  return out;
}

export interface LoggerConfig {
  level?: string;
  /** Human-readable output (development); JSON otherwise. */
  pretty?: boolean;
}

/** The one root logger. Pass it into factories; adapters take `logger.child({ component })`. */
export function createLogger(config: LoggerConfig = {}, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { log: (object) => scrub(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskUrlCredentials(maskNifs(a)) : a));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (err: Error & { code?: string; responseCode?: number }) => ({
        type: err.name,
        message: maskUrlCredentials(maskNifs(err.message ?? '')),
        code: err.code,
        responseCode: err.responseCode,
        stack: err.stack ? maskUrlCredentials(maskNifs(err.stack)) : undefined,
      }),
    },
  };
  if (destination) return pino(options, destination);
  if (config.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(options);
}
