import {
  createImapSource,
  type ImapSource,
  type ImapSourceDeps,
  type ImapSourceOptions,
  type MarkHandled,
} from '../adapters/imap-source';
import { parseImapUrl, parseMarkHandled, toImapConnectionOptions } from '../adapters/imap-url';

/**
 * The poller role: IMAP → IngestSink (raw bytes stored durably + classify job enqueued). It never
 * parses or decides; all IMAP behaviour (IDLE, fallback poll, reconnect, lease, checkpoint,
 * marking) lives in the adapter.
 */
export interface PollerConfig extends Omit<ImapSourceOptions, 'connection' | 'mailbox' | 'markHandled'> {
  /** `imap://user:pass@host:port/MAILBOX` or `imaps://…`. */
  imapUrl: string;
  /** `move:Triaged` (default), `flag:$Triaged`, or the parsed form. */
  markHandled?: string | MarkHandled;
}

export function createPoller(config: PollerConfig, deps: ImapSourceDeps): ImapSource {
  const { imapUrl, markHandled, ...rest } = config;
  const endpoint = parseImapUrl(imapUrl);
  const options: ImapSourceOptions = {
    ...rest,
    connection: toImapConnectionOptions(endpoint),
    mailbox: endpoint.mailbox,
  };
  if (markHandled !== undefined) {
    options.markHandled = typeof markHandled === 'string' ? parseMarkHandled(markHandled) : markHandled;
  }
  return createImapSource(options, deps);
}
