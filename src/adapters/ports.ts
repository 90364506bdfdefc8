/**
 * The interfaces the workers depend on. Adapters implement them; tests may supply real
 * alternatives (a folder instead of IMAP, an in-process SMTP sink).
 */

/** Where a mail source hands each raw message. Implemented over Redis + BullMQ (src/adapters/ingest.ts). */
export interface IngestSink {
  /**
   * Stores the raw bytes durably and enqueues the message for classification. Resolves only once
   * both are in Redis, so the source may then mark the message handled. Idempotent: the same
   * message (Message-ID, else the same bytes) given twice is stored and enqueued once.
   */
  ingest(raw: Buffer, meta: IngestMeta): Promise<IngestReceipt>;
}

export interface IngestMeta {
  /** Where it came from, e.g. `imap:INBOX` or `folder:/path`. */
  source: string;
  /** IMAP UID (or a sequence for other sources), for the audit trail. */
  uid?: number;
  uidValidity?: string;
  /** When the message was seen by the source (append-to-send latency starts here). */
  receivedAt: Date;
}

export interface IngestReceipt {
  /** The deterministic job id: 'm' + sha256 hex of the Message-ID or raw bytes. */
  jobId: string;
  /** true when this message had already been ingested. */
  duplicate: boolean;
}

/** A running mail source (IMAP poller, folder watcher). */
export interface MailSource {
  start(): Promise<void>;
  /** Stops fetching; resolves once nothing is in flight. */
  stop(): Promise<void>;
  /** For /readyz and /metrics. */
  status(): MailSourceStatus;
}

export interface MailSourceStatus {
  connected: boolean;
  /** When the last poll or IDLE notification was handled, null before the first. */
  lastPollAt: Date | null;
  lastError: string | null;
}
