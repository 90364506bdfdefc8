import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections. Nothing connects on import: callers create connections in the composition
 * root and close them on shutdown (architecture habit 11).
 *
 * - `worker` connections wait through a Redis restart: BullMQ requires `maxRetriesPerRequest:
 *   null` on them (architecture §6), and the case store used by the workers does the same, so a
 *   short outage delays jobs instead of failing them.
 * - `producer` connections (the web role) fail fast, so an HTTP request gets an answer.
 */
export type ConnectionKind = 'worker' | 'producer';

export function redisOptions(kind: ConnectionKind, name: string): RedisOptions {
  return kind === 'worker'
    ? { connectionName: name, maxRetriesPerRequest: null, enableReadyCheck: true }
    : { connectionName: name, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
}

/** A new ioredis connection to `url` (`redis://` or `rediss://`, optional `/db`). */
export function createRedis(url: string, kind: ConnectionKind, name: string): Redis {
  return new Redis(url, redisOptions(kind, name));
}

/**
 * Connection options for BullMQ queues and workers: BullMQ opens (and closes) its own
 * connections from them, so closing a Queue or Worker never closes a connection shared elsewhere.
 */
export function bullConnection(url: string, kind: ConnectionKind, name: string): ConnectionOptions {
  // BullMQ builds `new Redis(url, rest)` from these (redis-connection.js).
  return { url, ...redisOptions(kind, name) } as ConnectionOptions;
}

/** Answers whether a Redis server is reachable at `url` within `timeoutMs`, never throws. */
export async function pingRedis(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Closes a connection politely (QUIT), falling back to a hard disconnect. */
export async function quitRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
