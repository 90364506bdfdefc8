import { classifyJobId, DEFAULT_RETRY, defaultJobOptions, QUEUE_NAMES, retentionPolicy, sendJobId } from '../../../src/adapters/queues';

describe('retentionPolicy', () => {
  it('keeps completed jobs a while and failed jobs until someone acts on them', () => {
    const policy = retentionPolicy({ completedDays: 7 });
    expect(policy.removeOnComplete).toEqual({ age: 7 * 86_400, count: 50_000 });
    expect(policy.removeOnFail).toBe(false);
  });

  it('never keeps failed jobs for less time than completed ones', () => {
    for (const days of [0.5, 1, 30, 365]) {
      const policy = retentionPolicy({ completedDays: days, completedMax: 10 });
      expect(policy.removeOnFail).toBe(false);
      expect(policy.removeOnComplete.age).toBe(Math.round(days * 86_400));
    }
  });

  it('refuses a retention that would remove jobs at once', () => {
    expect(() => retentionPolicy({ completedDays: 0 })).toThrow(RangeError);
  });
});

describe('job options and ids', () => {
  it('retries with exponential backoff', () => {
    const options = defaultJobOptions(DEFAULT_RETRY.send, { completedDays: 7 });
    expect(options.attempts).toBe(8);
    expect(options.backoff).toEqual({ type: 'exponential', delay: 30_000, jitter: 0.2 });
    expect(options.removeOnFail).toBe(false);
    expect(() => defaultJobOptions({ attempts: 0, delayMs: 1 }, { completedDays: 1 })).toThrow(RangeError);
  });

  it('uses ids BullMQ accepts: hex with a letter first, no colon', () => {
    expect(classifyJobId('ab'.repeat(32))).toMatch(/^m[0-9a-f]{64}$/);
    expect(sendJobId('<MO-2026-000001.ack.x@d>')).toMatch(/^s[0-9a-f]{64}$/);
    expect(sendJobId('<a@b>')).toBe(sendJobId('<a@b>'));
    for (const name of Object.values(QUEUE_NAMES)) expect(name).not.toContain(':');
  });
});
