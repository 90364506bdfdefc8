import { createHash } from 'node:crypto';
import type { IngestMeta, IngestReceipt, IngestSink } from '../../src/adapters/ports';

export interface RecordedIngest {
  raw: Buffer;
  meta: IngestMeta;
  jobId: string;
  duplicate: boolean;
  messageId: string | null;
  /** ms since the epoch, when ingest resolved. */
  at: number;
}

/**
 * An in-memory IngestSink for the IMAP tests: records every call and deduplicates like the real
 * one (Message-ID, else the bytes). `delayMs` slows each ingest; `failTimes` makes the next n
 * calls reject, as an unreachable Redis would.
 */
export class RecordingSink implements IngestSink {
  readonly calls: RecordedIngest[] = [];
  delayMs = 0;
  failTimes = 0;
  private readonly stored = new Set<string>();

  async ingest(raw: Buffer, meta: IngestMeta): Promise<IngestReceipt> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failTimes > 0) {
      this.failTimes--;
      throw new Error('sink unavailable (test)');
    }
    const messageId = findMessageId(raw);
    const jobId = 'm' + createHash('sha256').update(messageId ?? raw).digest('hex');
    const duplicate = this.stored.has(jobId);
    this.stored.add(jobId);
    this.calls.push({ raw, meta, jobId, duplicate, messageId, at: Date.now() });
    return { jobId, duplicate };
  }

  /** Distinct messages stored. */
  get unique(): number {
    return this.stored.size;
  }

  /** Message-IDs of the calls, in call order (repeats included). */
  messageIds(): Array<string | null> {
    return this.calls.map((c) => c.messageId);
  }

  async waitForUnique(n: number, timeoutMs = 10_000): Promise<void> {
    await waitUntil(() => this.unique >= n, timeoutMs, () => `expected ${n} distinct messages, got ${this.unique}`);
  }

  async waitForCalls(n: number, timeoutMs = 10_000): Promise<void> {
    await waitUntil(() => this.calls.length >= n, timeoutMs, () => `expected ${n} ingest calls, got ${this.calls.length}`);
  }
}

export function findMessageId(raw: Buffer): string | null {
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const headers = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:\s*(<[^>\r\n]+>)/im.exec(headers);
  return match?.[1] ?? null;
}

export async function waitUntil(predicate: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
