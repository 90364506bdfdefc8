import { createHash } from 'node:crypto';
import type { Logger } from '../log';
import { normaliseMessageId } from '../core/case-matching';
import type { IngestMeta, IngestReceipt, IngestSink } from './ports';
import type { CaseStore } from './case-store';
import { classifyJobId, type PipelineQueues } from './queues';

/**
 * The Message-ID of raw RFC 5322 bytes, `<…>` as written, read from the header section without a
 * full parse (the ingest path must be cheap and must not depend on the message being well-formed).
 */
export function rawMessageId(raw: Buffer): string | null {
  const limit = Math.min(raw.length, 256 * 1024);
  const head = raw.subarray(0, limit).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const headers = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id[ \t]*:[ \t]*(.*)$/im.exec(headers);
  if (!m) return null;
  const bracketed = /<[^<>\s]+>/.exec(m[1] as string)?.[0];
  // As written (the hash must be the same whoever computes it: 'm' + sha256 of `<id>`).
  return bracketed ?? normaliseMessageId(m[1] as string);
}

/**
 * The message's identity (architecture habit 7): sha256 of its Message-ID, or of its bytes when it
 * has none. The same message fetched twice, after a restart or by two pollers, hashes the same.
 */
export function messageHash(raw: Buffer): string {
  const id = rawMessageId(raw);
  const h = createHash('sha256');
  if (id) h.update(id, 'utf8');
  else h.update(raw);
  return h.digest('hex');
}

export interface IngestDeps {
  store: CaseStore;
  queues: Pick<PipelineQueues, 'classify'>;
  rawRetentionDays: number;
  logger: Logger;
}

/**
 * IngestSink over Redis + BullMQ: stores the raw bytes under the message hash (SET NX), then adds
 * the classify job with the deterministic id. Resolves once both are in Redis, so the source may
 * then mark the message handled. Adding the job again is harmless (same id), so a source that
 * crashed between the two steps and retries completes the ingest instead of skipping it.
 */
export function createIngestSink(deps: IngestDeps): IngestSink {
  const log = deps.logger.child({ component: 'ingest' });
  const ttl = Math.round(deps.rawRetentionDays * 86_400);
  return {
    async ingest(raw: Buffer, meta: IngestMeta): Promise<IngestReceipt> {
      const hash = messageHash(raw);
      const jobId = classifyJobId(hash);
      const stored = await deps.store.putRaw(hash, raw, ttl);
      await deps.queues.classify.add(
        'classify',
        {
          hash,
          source: meta.source,
          ...(meta.uid !== undefined ? { uid: meta.uid } : {}),
          ...(meta.uidValidity !== undefined ? { uidValidity: meta.uidValidity } : {}),
          receivedAt: meta.receivedAt.toISOString(),
        },
        { jobId },
      );
      log.debug({ jobId, source: meta.source, uid: meta.uid, bytes: raw.length, duplicate: !stored }, 'ingested');
      return { jobId, duplicate: !stored };
    },
  };
}
