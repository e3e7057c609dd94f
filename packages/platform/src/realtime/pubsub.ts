import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import type { Logger } from '../config/logger.ts';

export interface PubSub {
  readonly engine: RedisPubSub;
  /** A plain client for commands (rate limits, caches); never used for SUBSCRIBE. */
  readonly redis: Redis;
  publish<T>(trigger: string, payload: T): Promise<void>;
  ready(): boolean;
  close(): Promise<void>;
}

/**
 * Separate publisher and subscriber connections (a subscribed connection cannot publish);
 * ioredis reconnects and re-subscribes by itself after a Redis restart.
 */
export function createPubSub({ url, logger }: { url: string; logger: Logger }): PubSub {
  const log = logger.child({ component: 'redis' });
  const options = {
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
    retryStrategy: (times: number) => Math.min(times * 100, 2_000),
  };
  const publisher = new Redis(url, options);
  const subscriber = new Redis(url, options);
  for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (err) => log.warn({ err: err.message, client: name }, 'redis connection error'));
  }
  // Every live gapless stream listens for the subscriber's 'ready' to catch up after a reconnect
  // (gapless.ts), so thousands of listeners are expected, not a leak.
  subscriber.setMaxListeners(0);
  const engine = new RedisPubSub({ publisher, subscriber, reviver: undefined });
  return {
    engine,
    redis: publisher,
    publish: (trigger, payload) => engine.publish(trigger, payload),
    ready: () => publisher.status === 'ready' && subscriber.status === 'ready',
    async close() {
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
