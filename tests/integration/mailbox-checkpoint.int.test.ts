import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createMailboxCheckpointStore } from '../../src/adapters/mailbox-checkpoint';
import { resolveTestRedisUrl } from '../helpers/test-redis-url';

describe('createMailboxCheckpointStore', () => {
  let redis: Redis;
  const prefix = `test-cp-${randomBytes(4).toString('hex')}`;
  const store = () => createMailboxCheckpointStore(redis, { keyPrefix: prefix });

  beforeAll(() => {
    redis = new Redis(resolveTestRedisUrl());
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('when nothing was saved, then load gives null', async () => {
    expect(await store().load('u@h:143/INBOX')).toBeNull();
  });

  it('when saved, then load gives it back from one hash per mailbox', async () => {
    const s = store();
    await s.save('a@h:143/INBOX', { uidValidity: '17', lastUid: 5, uidNext: 6, highestModseq: '99', updatedAt: 1000 });
    expect(await s.load('a@h:143/INBOX')).toEqual({ uidValidity: '17', lastUid: 5, uidNext: 6, highestModseq: '99', updatedAt: 1000 });
    expect(await redis.type(s.keyOf('a@h:143/INBOX'))).toBe('hash');
  });

  it('when an older lastUid is saved for the same UIDVALIDITY, then the checkpoint does not go backwards', async () => {
    const s = store();
    await s.save('b@h:143/INBOX', { uidValidity: '17', lastUid: 10, updatedAt: 1 });
    expect(await s.save('b@h:143/INBOX', { uidValidity: '17', lastUid: 4, updatedAt: 2 })).toBe(10);
    expect((await s.load('b@h:143/INBOX'))?.lastUid).toBe(10);
  });

  it('when the UIDVALIDITY changes, then the checkpoint is replaced', async () => {
    const s = store();
    await s.save('c@h:143/INBOX', { uidValidity: '17', lastUid: 10, updatedAt: 1 });
    expect(await s.save('c@h:143/INBOX', { uidValidity: '18', lastUid: 0, updatedAt: 2 })).toBe(0);
    expect(await s.load('c@h:143/INBOX')).toMatchObject({ uidValidity: '18', lastUid: 0 });
  });

  it('when fenced by a lease token that no longer holds, then nothing is written', async () => {
    const s = store();
    const fenceKey = `${prefix}:lease`;
    await redis.set(fenceKey, 'holder-2');
    await s.save('d@h:143/INBOX', { uidValidity: '1', lastUid: 3, updatedAt: 1 });
    expect(await s.save('d@h:143/INBOX', { uidValidity: '1', lastUid: 9, updatedAt: 2 }, { key: fenceKey, token: 'holder-1' })).toBeNull();
    expect((await s.load('d@h:143/INBOX'))?.lastUid).toBe(3);
    expect(await s.save('d@h:143/INBOX', { uidValidity: '1', lastUid: 9, updatedAt: 3 }, { key: fenceKey, token: 'holder-2' })).toBe(9);
  });

  it('when removed, then load gives null again', async () => {
    const s = store();
    await s.save('e@h:143/INBOX', { uidValidity: '1', lastUid: 3, updatedAt: 1 });
    await s.remove('e@h:143/INBOX');
    expect(await s.load('e@h:143/INBOX')).toBeNull();
  });
});
