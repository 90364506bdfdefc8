import type { Redis } from 'ioredis';

/**
 * Where the IMAP source resumes: per mailbox, the UIDVALIDITY it last saw and the highest UID
 * below which every message has been handled (ingested and marked on the server). One Redis hash
 * per mailbox. A new UIDVALIDITY replaces the checkpoint (the mailbox is a different one now,
 * every UID is meaningless); within one UIDVALIDITY `lastUid` only moves forward.
 */

export interface MailboxCheckpoint {
  uidValidity: string;
  /** Every message with a UID ≤ lastUid has been handled. 0: none yet. */
  lastUid: number;
  /** UIDNEXT and HIGHESTMODSEQ as last seen, for operators (not used to resume). */
  uidNext?: number;
  highestModseq?: string;
  /** ms since the epoch. */
  updatedAt: number;
}

/** Only the holder of this lease token may write (a poller that lost its lease is fenced off). */
export interface CheckpointFence {
  key: string;
  token: string;
}

export interface MailboxCheckpointStore {
  load(mailboxId: string): Promise<MailboxCheckpoint | null>;
  /**
   * Stores the checkpoint. Same UIDVALIDITY: lastUid never goes backwards. Another UIDVALIDITY:
   * replaced. Resolves the lastUid now stored, or null when the fence no longer holds (nothing
   * written).
   */
  save(mailboxId: string, checkpoint: MailboxCheckpoint, fence?: CheckpointFence): Promise<number | null>;
  remove(mailboxId: string): Promise<void>;
  /** The Redis key of a mailbox's checkpoint. */
  keyOf(mailboxId: string): string;
}

export interface MailboxCheckpointStoreOptions {
  /** Prefix of every key; default `triage`. */
  keyPrefix?: string;
}

// KEYS[1] checkpoint hash, KEYS[2] (optional) lease key.
// ARGV: uidValidity, lastUid, uidNext, highestModseq, updatedAt, fence token.
const SAVE_SCRIPT = `
if #KEYS > 1 and redis.call('GET', KEYS[2]) ~= ARGV[6] then
  return -1
end
local last = tonumber(ARGV[2])
local current = redis.call('HMGET', KEYS[1], 'uidValidity', 'lastUid')
if current[1] == ARGV[1] and current[2] and tonumber(current[2]) > last then
  last = tonumber(current[2])
end
redis.call('HSET', KEYS[1], 'uidValidity', ARGV[1], 'lastUid', tostring(last), 'uidNext', ARGV[3],
  'highestModseq', ARGV[4], 'updatedAt', ARGV[5])
return last`;

export function createMailboxCheckpointStore(
  redis: Redis,
  options: MailboxCheckpointStoreOptions = {},
): MailboxCheckpointStore {
  const prefix = options.keyPrefix ?? 'triage';
  const keyOf = (mailboxId: string): string => `${prefix}:imap:checkpoint:${mailboxId}`;

  return {
    keyOf,
    async load(mailboxId) {
      const h = await redis.hgetall(keyOf(mailboxId));
      if (!h['uidValidity']) return null;
      const lastUid = Number(h['lastUid'] ?? '0');
      const checkpoint: MailboxCheckpoint = {
        uidValidity: h['uidValidity'],
        lastUid: Number.isSafeInteger(lastUid) && lastUid >= 0 ? lastUid : 0,
        updatedAt: Number(h['updatedAt'] ?? '0') || 0,
      };
      if (h['uidNext']) checkpoint.uidNext = Number(h['uidNext']);
      if (h['highestModseq']) checkpoint.highestModseq = h['highestModseq'];
      return checkpoint;
    },
    async save(mailboxId, checkpoint, fence) {
      const keys = fence ? [keyOf(mailboxId), fence.key] : [keyOf(mailboxId)];
      const stored = await redis.eval(
        SAVE_SCRIPT,
        keys.length,
        ...keys,
        checkpoint.uidValidity,
        String(checkpoint.lastUid),
        checkpoint.uidNext === undefined ? '' : String(checkpoint.uidNext),
        checkpoint.highestModseq ?? '',
        String(checkpoint.updatedAt),
        fence?.token ?? '',
      );
      const n = Number(stored);
      return n < 0 ? null : n;
    },
    async remove(mailboxId) {
      await redis.del(keyOf(mailboxId));
    },
  };
}
