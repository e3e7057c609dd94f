import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../config/errors.ts';
import type { Logger } from '../config/logger.ts';
import { createRedis, type RedisClient, type RedisTarget } from '../config/redis.ts';

/** A budget: `points` per `durationMs`, kept per key (a user, an address, an account). */
export interface Budget {
  points: number;
  durationMs: number;
}

export interface RateLimiter {
  readonly budget: Budget;
  /** Takes `points` from `key`'s budget, or throws RATE_LIMITED with `retryAfterMs` (and takes nothing more). */
  consume(key: string, points?: number): Promise<void>;
  /** Gives points back, e.g. for a login that turned out to be right. */
  reward(key: string, points?: number): Promise<void>;
  /** Same as `consume(key, 1)`: the name the chat commands use. */
  check(key: string): Promise<void>;
}

/**
 * A per-key budget shared by every replica through Redis (rate-limiter-flexible's atomic
 * counters). When Redis is unreachable each process carries on with an in-memory budget of the same
 * size (the insurance limiter) instead of waiting: `rejectIfRedisNotReady` hands a call to it at
 * once while the client is not connected, and the client's command timeout does so when Redis
 * stops answering. Without a Redis client at all the budget is per process.
 * On a Redis Cluster too: each consumption is one Lua script on one key (`ratelimit:<prefix>:<key>`),
 * so keys need no hash tags and budgets spread over the shards.
 */
export function createRateLimiter(redis: RedisClient | null, options: { prefix: string } & Budget): RateLimiter {
  const duration = options.durationMs / 1_000;
  const memory = new RateLimiterMemory({ keyPrefix: `ratelimit:${options.prefix}`, points: options.points, duration });
  const limiter = redis
    ? new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `ratelimit:${options.prefix}`,
        points: options.points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      })
    : memory;
  const consume = async (key: string, points = 1) => {
    try {
      await limiter.consume(key, points);
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) throw rateLimited(Math.max(1, Math.ceil(refusal.msBeforeNext)));
      throw refusal;
    }
  };
  return {
    budget: { points: options.points, durationMs: options.durationMs },
    consume,
    check: (key) => consume(key, 1),
    async reward(key, points = 1) {
      await limiter.reward(key, points);
    },
  };
}

/**
 * A Redis client for budgets alone: commands fail fast instead of queueing while Redis is down
 * (no offline queue, no retries, a short command timeout), so a request never waits on a budget;
 * the limiter then answers from memory. It reconnects by itself.
 */
export function createRateLimitRedis(target: RedisTarget, logger: Logger, options: { commandTimeoutMs?: number } = {}): RedisClient {
  const redis = createRedis(target, {
    // Budget charges made in one turn of the event loop (requests that arrived together) go to
    // Redis in one write: a write is a system call, and one charge per request was the biggest
    // single cost of a small query at the gateway.
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 500,
    retryStrategy: (times: number) => Math.min(times * 100, 2_000),
  });
  let warned = false;
  redis.on('error', (err: Error) => {
    if (!warned) logger.warn({ err: err.message, component: 'rate-limit-redis' }, 'budgets fall back to per-process memory until Redis answers');
    warned = true;
  });
  redis.on('ready', () => {
    warned = false;
  });
  return redis;
}
