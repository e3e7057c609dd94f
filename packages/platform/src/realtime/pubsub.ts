import { RedisPubSub } from 'graphql-redis-subscriptions';
import { PubSubEngine } from 'graphql-subscriptions';
import type { Cluster, RedisOptions } from 'ioredis';
import type { Logger } from '../config/logger.ts';
import { createRedis, type RedisClient, type RedisTarget } from '../config/redis.ts';

/** Publications and subscriptions by trigger (channel), payloads as JSON; graphql-subscriptions' iterators. */
export type TriggerEngine = Pick<PubSubEngine, 'publish' | 'unsubscribe' | 'asyncIterableIterator'> & {
  subscribe<T>(trigger: string, onMessage: (payload: T) => void): Promise<number>;
};

export interface PubSub {
  readonly engine: TriggerEngine;
  /** A plain client for commands (rate limits, caches); never used for SUBSCRIBE. */
  readonly redis: RedisClient;
  /** The connection(s) subscriptions live on: a Redis, or a cluster client with one per master. */
  readonly subscriber: RedisClient;
  /**
   * Calls `listener` each time subscriptions were renewed after a connection loss (a Redis restart,
   * a cluster failover): what was published meanwhile was lost and must be read from storage.
   * Returns the function that removes the listener.
   */
  onResubscribed(listener: () => void): () => void;
  publish<T>(trigger: string, payload: T): Promise<void>;
  ready(): boolean;
  close(): Promise<void>;
}

/**
 * Separate publisher and subscriber connections (a subscribed connection cannot publish).
 * One Redis: graphql-redis-subscriptions over SUBSCRIBE/PUBLISH; ioredis reconnects and
 * re-subscribes by itself after a restart. A Redis Cluster: sharded pub/sub (ShardedPubSub).
 */
export function createPubSub({ redis, logger }: { redis: RedisTarget; logger: Logger }): PubSub {
  const log = logger.child({ component: 'redis' });
  const options: RedisOptions = {
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
    retryStrategy: (times: number) => Math.min(times * 100, 2_000),
  };
  const publisher = createRedis(redis, options);
  const subscriber = createRedis(redis, options, { shardedSubscriber: true });
  for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (err: Error) => log.warn({ err: err.message, client: name }, 'redis connection error'));
  }
  // Every live gapless stream listens for resubscriptions to catch up after a reconnect
  // (gapless.ts), so thousands of listeners are expected, not a leak.
  subscriber.setMaxListeners(0);
  // A cluster renews its shard subscriptions after a failover or a lost connection, then says so.
  const resubscribed = redis.mode === 'cluster' ? 'subscribersReady' : 'ready';
  const engine: TriggerEngine =
    redis.mode === 'cluster'
      ? new ShardedPubSub(publisher as Cluster, subscriber as Cluster, log)
      : new RedisPubSub({ publisher, subscriber, reviver: undefined });
  return {
    engine,
    redis: publisher,
    subscriber,
    onResubscribed(listener) {
      subscriber.on(resubscribed, listener);
      return () => void subscriber.off(resubscribed, listener);
    },
    publish: (trigger, payload) => engine.publish(trigger, payload),
    ready: () => publisher.status === 'ready' && subscriber.status === 'ready',
    async close() {
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}

/**
 * Pub/sub on a Redis Cluster over sharded channels (SSUBSCRIBE/SPUBLISH, Redis 7): a channel lives
 * on the shard owning its slot, so a publication crosses one shard instead of being broadcast
 * to every node as PUBLISH is, and pub/sub grows with the number of shards. Each trigger is one
 * channel hashed whole, so one stream's publications all go through one shard, in order.
 *
 * graphql-redis-subscriptions does not fit: its RedisPubSub calls SUBSCRIBE/PSUBSCRIBE and
 * PUBLISH and listens to 'message' only, with no option for the sharded commands; this is the
 * same engine (reference-counted subscriptions per trigger, JSON payloads, the same wire format)
 * over SSUBSCRIBE/SUNSUBSCRIBE/SPUBLISH and 'smessage'. Moving channels to the new master after
 * a failover is ioredis' (its sharded subscriber group).
 */
export class ShardedPubSub extends PubSubEngine {
  private nextId = 0;
  private readonly handlers = new Map<number, { trigger: string; onMessage: (payload: unknown) => void }>();
  private readonly byTrigger = new Map<string, Set<number>>();
  /** SSUBSCRIBEs not answered yet, by trigger: later subscribers of the trigger wait for them too. */
  private readonly subscribing = new Map<string, Promise<unknown>>();
  private readonly publisher: Cluster;
  private readonly subscriber: Cluster;
  private readonly log: Logger;

  constructor(publisher: Cluster, subscriber: Cluster, log: Logger) {
    super();
    this.publisher = publisher;
    this.subscriber = subscriber;
    this.log = log;
    subscriber.on('smessage', (channel: string, message: string) => this.dispatch(channel, message));
  }

  async publish(trigger: string, payload: unknown): Promise<void> {
    await this.publisher.spublish(trigger, JSON.stringify(payload));
  }

  async subscribe<T>(trigger: string, onMessage: (payload: T) => void): Promise<number> {
    const id = ++this.nextId;
    this.handlers.set(id, { trigger, onMessage: onMessage as (payload: unknown) => void });
    const ids = this.byTrigger.get(trigger);
    if (ids) ids.add(id);
    else this.byTrigger.set(trigger, new Set([id]));
    // Subscribed means listening: a caller that reads a backlog once this resolves (gapless
    // streams) must not miss what is published before the first subscriber's SSUBSCRIBE is done.
    let subscribing = this.subscribing.get(trigger);
    if (!ids) {
      const started = this.subscriber.ssubscribe(trigger);
      subscribing = started;
      this.subscribing.set(trigger, started);
      void started.then(
        () => this.subscribing.get(trigger) === started && this.subscribing.delete(trigger),
        () => this.subscribing.get(trigger) === started && this.subscribing.delete(trigger),
      );
    }
    try {
      await subscribing;
    } catch (err) {
      this.unsubscribe(id);
      throw err;
    }
    return id;
  }

  unsubscribe(id: number): void {
    const handler = this.handlers.get(id);
    if (!handler) return;
    this.handlers.delete(id);
    const ids = this.byTrigger.get(handler.trigger);
    ids?.delete(id);
    if (ids?.size !== 0) return;
    this.byTrigger.delete(handler.trigger);
    this.subscriber.sunsubscribe(handler.trigger).catch((err: unknown) => this.log.warn({ err, trigger: handler.trigger }, 'SUNSUBSCRIBE failed'));
  }

  private dispatch(channel: string, message: string): void {
    const ids = this.byTrigger.get(channel);
    if (!ids) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch {
      this.log.warn({ trigger: channel }, 'publication is not JSON; ignored');
      return;
    }
    for (const id of [...ids]) this.handlers.get(id)?.onMessage(payload);
  }
}
