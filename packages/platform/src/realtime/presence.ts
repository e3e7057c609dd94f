import { randomUUID } from 'node:crypto';
import type { Logger } from '../config/logger.ts';
import type { RedisClient } from '../config/redis.ts';

export interface Presence {
  /** Marks `key` as present until the returned function is called (or this process dies). */
  enter(key: string): () => void;
  /**
   * The keys among `keys` someone is present at. Bounded: when Redis does not answer within
   * `answerWithinMs` it answers "nobody", so callers err towards notifying.
   */
  present(keys: readonly string[]): Promise<Set<string>>;
  close(): void;
}

/**
 * Who is live where, shared by every replica through Redis. Each presence is a member of a sorted
 * set scored by its expiry; the process holding it renews it every `renewEveryMs`. A process
 * that dies stops renewing, so its marks lapse by themselves after `ttlMs`; nothing has to clean
 * up after it.
 *
 * Each key is its own sorted set and every command names one key, so on a Redis Cluster the
 * commands go to whichever shards own them (no MULTI or pipeline that a cluster would refuse
 * across slots; the client's auto-pipelining batches them per node). A caller whose keys are
 * asked together puts a hash tag in them (`{...}`) so that one question goes to one shard.
 */
export function createPresence(options: {
  redis: RedisClient;
  logger: Logger;
  prefix: string;
  ttlMs?: number;
  renewEveryMs?: number;
  answerWithinMs?: number;
}): Presence {
  const { redis, prefix } = options;
  const ttlMs = options.ttlMs ?? 45_000;
  const renewEveryMs = options.renewEveryMs ?? 15_000;
  const answerWithinMs = options.answerWithinMs ?? 250;
  const log = options.logger.child({ component: 'presence' });
  const held = new Map<string, string>(); // member → key
  const redisKey = (key: string) => `${prefix}:${key}`;

  const mark = (entries: [member: string, key: string][]) => {
    if (entries.length === 0) return;
    const expiresAt = Date.now() + ttlMs;
    const sent = entries.flatMap(([member, key]) => [redis.zadd(redisKey(key), expiresAt, member), redis.pexpire(redisKey(key), ttlMs)]);
    // A lost renewal only shortens a presence; the next one restores it.
    Promise.all(sent).catch((err: unknown) => log.warn({ err }, 'presence not recorded'));
  };
  const timer = setInterval(() => mark([...held.entries()]), renewEveryMs);
  timer.unref();

  return {
    enter(key) {
      const member = randomUUID();
      held.set(member, key);
      mark([[member, key]]);
      return () => {
        if (!held.delete(member)) return;
        redis.zrem(redisKey(key), member).catch((err: unknown) => log.warn({ err }, 'presence not removed; it lapses by itself'));
      };
    },
    async present(keys) {
      if (keys.length === 0) return new Set();
      const now = Date.now();
      const counts = Promise.all(keys.map((key) => redis.zcount(redisKey(key), now, '+inf')));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), answerWithinMs)));
      const answered = await Promise.race([counts.catch(() => null), late]).finally(() => clearTimeout(timer));
      if (!answered) {
        log.warn({ keys: keys.length }, 'presence unknown (redis did not answer); treating everyone as away');
        return new Set();
      }
      return new Set(keys.filter((_, i) => answered[i]! > 0));
    },
    close: () => clearInterval(timer),
  };
}
