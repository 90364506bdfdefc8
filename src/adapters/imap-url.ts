import { ConfigError } from '../errors';

/**
 * `IMAP_URL` → imapflow connection options. The shape is
 * `imap[s]://user:pass@host[:port][/MAILBOX][?starttls=auto|required|never&tlsRejectUnauthorized=false]`:
 * `imaps://` is TLS from the first byte (default port 993), `imap://` is cleartext upgraded with
 * STARTTLS when the server offers it (default port 143). User and password are URL-encoded; the
 * mailbox defaults to INBOX. Errors never repeat the password.
 */
export interface ImapEndpoint {
  host: string;
  port: number;
  secure: boolean;
  auth: { user: string; pass: string };
  mailbox: string;
  /** STARTTLS policy for `imap://`: auto (upgrade when offered), required, never. */
  starttls: 'auto' | 'required' | 'never';
  /** false accepts self-signed certificates (local trials only). */
  tlsRejectUnauthorized: boolean;
}

/** The connection part of imapflow's options (spread it into `new ImapFlow({...})`). */
export interface ImapConnectionOptions {
  host: string;
  port: number;
  secure: boolean;
  auth: { user: string; pass: string };
  doSTARTTLS?: boolean;
  tls?: { rejectUnauthorized: boolean };
}

const ENV_KEY = 'IMAP_URL';

export function parseImapUrl(value: string, key = ENV_KEY): ImapEndpoint {
  const fail = (message: string): never => {
    throw new ConfigError([{ file: 'environment', key, message }]);
  };
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    // The value itself may carry a password: never echo it.
    return fail('not a valid URL (expected imap://user:pass@host:port/MAILBOX or imaps://…)');
  }
  const protocol = url.protocol.toLowerCase();
  if (protocol !== 'imap:' && protocol !== 'imaps:') fail(`scheme must be imap:// or imaps://, not ${protocol}//`);
  const secure = protocol === 'imaps:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (!host) fail('host is missing');
  const port = url.port === '' ? (secure ? 993 : 143) : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail('port must be 1-65535');
  const user = decode(url.username, 'user', fail);
  const pass = decode(url.password, 'password', fail);
  if (!user) fail('user is missing (imap://user:pass@host/…)');
  if (!pass) fail('password is missing (imap://user:pass@host/…)');
  const rawPath = url.pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  const mailbox = rawPath === '' ? 'INBOX' : decode(rawPath, 'mailbox', fail);

  let starttls: ImapEndpoint['starttls'] = 'auto';
  let tlsRejectUnauthorized = true;
  for (const [name, v] of url.searchParams) {
    if (name === 'starttls') {
      if (v !== 'auto' && v !== 'required' && v !== 'never') fail('starttls must be auto, required or never');
      starttls = v as ImapEndpoint['starttls'];
    } else if (name === 'tlsRejectUnauthorized') {
      if (v !== 'true' && v !== 'false') fail('tlsRejectUnauthorized must be true or false');
      tlsRejectUnauthorized = v === 'true';
    } else {
      fail(`unknown parameter "${name}" (known: starttls, tlsRejectUnauthorized)`);
    }
  }
  if (secure && starttls === 'required') fail('starttls=required makes no sense with imaps:// (already TLS)');
  return { host, port, secure, auth: { user, pass }, mailbox, starttls, tlsRejectUnauthorized };
}

/** imapflow options for an endpoint (no logger, no IDLE settings: the source adds those). */
export function toImapConnectionOptions(endpoint: ImapEndpoint): ImapConnectionOptions {
  const options: ImapConnectionOptions = {
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    auth: { user: endpoint.auth.user, pass: endpoint.auth.pass },
  };
  if (!endpoint.secure && endpoint.starttls !== 'auto') options.doSTARTTLS = endpoint.starttls === 'required';
  if (!endpoint.tlsRejectUnauthorized) options.tls = { rejectUnauthorized: false };
  return options;
}

/** `imap://user@host:port/MAILBOX`, safe for logs and metrics (no password). */
export function describeImapEndpoint(endpoint: Pick<ImapEndpoint, 'secure' | 'host' | 'port' | 'auth' | 'mailbox'>): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.secure ? 'imaps' : 'imap'}://${encodeURIComponent(endpoint.auth.user)}@${host}:${endpoint.port}/${encodeURIComponent(endpoint.mailbox)}`;
}

function decode(value: string, what: string, fail: (m: string) => never): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return fail(`${what} is not valid URL encoding`);
  }
}

/**
 * How handled messages are marked, as written in configuration: `move:FOLDER` (default
 * `move:Triaged`) or `flag:KEYWORD` (adds `\Seen` and the keyword, e.g. `flag:$Triaged`).
 */
export function parseMarkHandled(
  value: string,
  key = 'IMAP_MARK_HANDLED',
): { mode: 'move'; folder: string } | { mode: 'flag'; keyword: string } {
  const fail = (message: string): never => {
    throw new ConfigError([{ file: 'environment', key, message }]);
  };
  const match = /^(move|flag):(.+)$/.exec(value.trim());
  if (!match) return fail('expected move:FOLDER or flag:KEYWORD (e.g. move:Triaged, flag:$Triaged)');
  const [, mode, arg] = match as unknown as [string, 'move' | 'flag', string];
  if (mode === 'move') return { mode, folder: arg };
  // A keyword is an IMAP atom (RFC 3501 flag-keyword): no spaces, parentheses, wildcards, quotes or backslash.
  if (!/^[^\s(){%*"\\\]\x00-\x1f\x7f]+$/.test(arg)) fail('the keyword must be an IMAP atom (e.g. $Triaged)');
  return { mode, keyword: arg };
}
