import type { Redis } from 'ioredis';
import { rateLimited } from '../config/errors.ts';

/**
 * A per-key limit shared by every replica: at most `limit` calls per `windowMs` (a fixed window
 * in Redis). Refuses with RATE_LIMITED and how long to wait.
 */
export function createRateLimiter(redis: Redis, options: { prefix: string; limit: number; windowMs: number }) {
  return {
    async check(key: string): Promise<void> {
      const slot = Math.floor(Date.now() / options.windowMs);
      const redisKey = `ratelimit:${options.prefix}:${key}:${slot}`;
      const [[, count]] = (await redis.multi().incr(redisKey).pexpire(redisKey, options.windowMs * 2).exec()) as [[null, number]];
      if (count > options.limit) throw rateLimited(options.windowMs - (Date.now() % options.windowMs));
    },
  };
}
