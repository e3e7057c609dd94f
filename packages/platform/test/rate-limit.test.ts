import { freePort } from '@finder/testing/ports';
import { privateRedis } from '@finder/testing/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/config/logger.ts';
import { singleRedis, type RedisClient } from '../src/config/redis.ts';
import { createRateLimiter, createRateLimitRedis } from '../src/server/rate-limit.ts';

const logger = createLogger('rate-limit-test', 'silent');
const key = () => `k-${Math.random().toString(36).slice(2)}`;

/** The refusal a call ends with, or null when it is allowed. */
async function outcome(call: Promise<void>) {
  try {
    await call;
    return null;
  } catch (err) {
    return err as { extensions: { code: string; retryAfterMs: number } };
  }
}

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await call();
  return { ms: performance.now() - started, value };
}

describe('rate limiter (rate-limiter-flexible over Redis, memory when Redis is away)', () => {
  let port: number;
  let redis: ReturnType<typeof privateRedis>;
  const clients: RedisClient[] = [];
  const client = (url: string, kind: 'budget' | 'pubsub') => {
    // 'pubsub' is how the chat subgraph's pub/sub client is configured: commands queue while Redis is down.
    const c = kind === 'budget' ? createRateLimitRedis(singleRedis(url), logger) : new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 200 });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    port = await freePort();
    redis = privateRedis(port);
    await redis.start();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await redis.stop();
  });

  it('shares one budget between processes and refuses past it with RATE_LIMITED and retryAfterMs', async () => {
    const a = createRateLimiter(client(redis.url, 'budget'), { prefix: 'shared', points: 4, durationMs: 60_000 });
    const b = createRateLimiter(client(redis.url, 'budget'), { prefix: 'shared', points: 4, durationMs: 60_000 });
    await new Promise((r) => setTimeout(r, 100)); // connected
    const k = key();
    for (const limiter of [a, b, a, b]) expect(await outcome(limiter.consume(k))).toBeNull();
    // A reward gives a point back, to either process.
    await a.reward(k);
    expect(await outcome(b.consume(k))).toBeNull();
    const refused = await outcome(a.consume(k));
    expect(refused?.extensions.code).toBe('RATE_LIMITED');
    expect(refused?.extensions.retryAfterMs).toBeGreaterThan(50_000);
    expect(refused?.extensions.retryAfterMs).toBeLessThanOrEqual(60_000);
    // Weighted calls (a cost) take several points at once.
    const w = key();
    expect(await outcome(a.consume(w, 3))).toBeNull();
    expect((await outcome(b.consume(w, 2)))?.extensions.code).toBe('RATE_LIMITED');
  });

  it('answers at once from memory when Redis is unreachable, with the same budget', async () => {
    const closed = await freePort();
    for (const kind of ['budget', 'pubsub'] as const) {
      const limiter = createRateLimiter(client(`redis://127.0.0.1:${closed}`, kind), { prefix: `down-${kind}`, points: 3, durationMs: 1_000 });
      const k = key();
      const { ms, value } = await timed(async () => {
        const results = [];
        for (let i = 0; i < 4; i++) results.push(await outcome(limiter.consume(k)));
        return results;
      });
      expect(ms, kind).toBeLessThan(500);
      expect(value.slice(0, 3), kind).toEqual([null, null, null]);
      expect(value[3]?.extensions.code, kind).toBe('RATE_LIMITED');
      expect(value[3]?.extensions.retryAfterMs, kind).toBeGreaterThan(0);
    }
  });

  it('keeps answering quickly when Redis goes away under a connected client', async () => {
    const ownPort = await freePort();
    const own = privateRedis(ownPort);
    await own.start();
    try {
      const limiters = (['budget', 'pubsub'] as const).map((kind) => createRateLimiter(client(own.url, kind), { prefix: `gone-${kind}`, points: 100, durationMs: 60_000 }));
      await new Promise((r) => setTimeout(r, 100));
      for (const limiter of limiters) expect(await outcome(limiter.consume(key()))).toBeNull();
      await own.stop();
      await new Promise((r) => setTimeout(r, 100));
      for (const limiter of limiters) {
        const { ms, value } = await timed(() => outcome(limiter.consume(key())));
        expect(ms).toBeLessThan(500);
        expect(value).toBeNull();
      }
    } finally {
      await own.stop();
    }
  });
});
