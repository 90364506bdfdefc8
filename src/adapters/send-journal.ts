import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Which sends are in flight, so that a send cut short by a crash is known to be in doubt
 * (architecture habit 7). The sent marker is written once the SMTP server has accepted a mail; a
 * process killed between the server's acceptance and that write leaves the mail looking unsent.
 * The journal tells that case apart from a plain first attempt: an attempt writes its start here
 * before the SMTP transaction and clears it once the outcome is recorded, so a start still
 * present when the job runs again means the earlier attempt died mid-send, and the server may
 * have the mail. The router then asks the Sent folder (sent-folder.ts) before sending again.
 *
 * Keys under `{prefix}:`:
 * - `sending:{sha256(Message-ID)}`  ISO start of the first attempt whose outcome is not recorded
 * - `sends:indoubt`                 hash Message-ID → how each in-doubt send was settled
 */
export interface SendJournal {
  /**
   * Notes that an attempt to send `messageId` starts. Resolves with the start of an earlier
   * attempt that never recorded its outcome (the mail is in doubt), else null. The earliest
   * start is kept, so waiting for the Sent folder counts from the attempt that died.
   */
  begin(messageId: string, at: Date): Promise<Date | null>;
  /** The attempt's outcome is recorded (accepted, refused, or failed before the server had it). */
  end(messageId: string): Promise<void>;
  /** How an in-doubt send was settled: found in the Sent folder, or sent again. */
  settle(messageId: string, outcome: InDoubtOutcome): Promise<void>;
  /** Every in-doubt send and how it was settled (operators, tests). */
  inDoubt(): Promise<Record<string, InDoubtOutcome>>;
}

export type InDoubtOutcome = 'found-in-sent' | 'sent-again';

/** An attempt's start is kept this long: a job retried later than that is not in doubt any more. */
const SENDING_TTL_SECONDS = 30 * 86_400;

const BEGIN_SCRIPT = `
local previous = redis.call('GET', KEYS[1])
if previous then return previous end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
`;

export function createSendJournal(redis: Redis, prefix: string): SendJournal {
  const sendingKey = (messageId: string): string => `${prefix}:sending:${createHash('sha256').update(messageId, 'utf8').digest('hex')}`;
  const inDoubtKey = `${prefix}:sends:indoubt`;
  return {
    async begin(messageId, at) {
      const previous = (await redis.eval(BEGIN_SCRIPT, 1, sendingKey(messageId), at.toISOString(), String(SENDING_TTL_SECONDS))) as string | null;
      return previous ? new Date(previous) : null;
    },
    async end(messageId) {
      await redis.del(sendingKey(messageId));
    },
    async settle(messageId, outcome) {
      await redis.hset(inDoubtKey, messageId, outcome);
    },
    async inDoubt() {
      return (await redis.hgetall(inDoubtKey)) as Record<string, InDoubtOutcome>;
    },
  };
}
