import { RedisPubSub } from 'graphql-redis-subscriptions';
import { PubSubEngine } from 'graphql-subscriptions';
import type { Cluster, RedisOptions } from 'ioredis';
import type { Logger } from '../config/logger.ts';
import { createRedis, onShardRenewalNeeded, type RedisClient, type RedisTarget } from '../config/redis.ts';

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
  const sharded = redis.mode === 'cluster' ? new ShardedPubSub(publisher as Cluster, subscriber as Cluster, log) : undefined;
  const engine: TriggerEngine = sharded ?? new RedisPubSub({ publisher, subscriber, reviver: undefined });
  return {
    engine,
    redis: publisher,
    subscriber,
    onResubscribed(listener) {
      // A cluster: once ShardedPubSub has renewed every shard subscription it holds.
      if (sharded) return sharded.onResubscribed(listener);
      subscriber.on('ready', listener);
      return () => void subscriber.off('ready', listener);
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
 * over SSUBSCRIBE/SUNSUBSCRIBE/SPUBLISH and 'smessage'.
 *
 * After a failover or a lost shard connection, ioredis' sharded subscriber group connects to the
 * new master and sends SSUBSCRIBE for the channels it knew, but it drops a renewal that fails (the
 * new master not serving the slot yet, a refused command) and says 'subscribersReady' before any
 * renewal is answered. So on each 'subscribersReady' this engine subscribes every trigger it holds
 * again (SSUBSCRIBE of a channel already subscribed changes nothing), retrying what fails with a
 * backoff, and tells `onResubscribed` listeners only once all are answered: a gapless stream that
 * then reads what it missed from storage is live again before it reads.
 *
 * A node that loses slots while it stays up ends their subscriptions unasked, which ioredis 5
 * ignores (onShardRenewalNeeded): then the slot map is refreshed (the subscriber group moves to
 * the slots' owners) and every trigger renewed the same way. An SSUBSCRIBE answered with MOVED is
 * never settled by ioredis; a first subscriber waiting for one is let through by the next renewal
 * that succeeds instead.
 */
export class ShardedPubSub extends PubSubEngine {
  private nextId = 0;
  private readonly handlers = new Map<number, { trigger: string; onMessage: (payload: unknown) => void }>();
  private readonly byTrigger = new Map<string, Set<number>>();
  /** SSUBSCRIBEs not answered yet, by trigger: later subscribers of the trigger wait for them too. */
  private readonly subscribing = new Map<string, PromiseWithResolvers<void>>();
  private readonly resubscribedListeners = new Set<() => void>();
  /** Counts renewals: a renewal still retrying gives way to one started by a later failover. */
  private renewal = 0;
  private readonly publisher: Cluster;
  private readonly subscriber: Cluster;
  private readonly log: Logger;

  constructor(publisher: Cluster, subscriber: Cluster, log: Logger) {
    super();
    this.publisher = publisher;
    this.subscriber = subscriber;
    this.log = log;
    subscriber.on('smessage', (channel: string, message: string) => this.dispatch(channel, message));
    onShardRenewalNeeded(subscriber, (reason) => {
      if (reason) this.log.warn({ err: reason }, 'a Redis node ended shard subscriptions (its slots moved); renewing them');
      void this.renewAll();
    });
  }

  /** Calls `listener` each time every held trigger is subscribed again after a shard reconnect. */
  onResubscribed(listener: () => void): () => void {
    this.resubscribedListeners.add(listener);
    return () => void this.resubscribedListeners.delete(listener);
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
      const started = Promise.withResolvers<void>();
      subscribing = started;
      this.subscribing.set(trigger, started);
      this.subscriber.ssubscribe(trigger).then(
        () => this.subscribed(trigger, started),
        (err: unknown) => this.subscribed(trigger, started, err),
      );
    }
    try {
      await subscribing?.promise;
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

  /** Settles the wait of a trigger's first subscribers: its SSUBSCRIBE, or a renewal, was answered. */
  private subscribed(trigger: string, pending: PromiseWithResolvers<void>, err?: unknown): void {
    if (this.subscribing.get(trigger) === pending) this.subscribing.delete(trigger);
    if (err === undefined) pending.resolve();
    else pending.reject(err);
  }

  private async renewAll(): Promise<void> {
    const renewal = ++this.renewal;
    let pending = [...this.byTrigger.keys()];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const results = await Promise.allSettled(pending.map((trigger) => this.subscriber.ssubscribe(trigger)));
      if (renewal !== this.renewal) return;
      const failed: string[] = [];
      results.forEach((result, i) => {
        const trigger = pending[i]!;
        if (!this.byTrigger.has(trigger)) {
          // Its last subscriber left while the renewal was under way: do not keep listening.
          if (result.status === 'fulfilled') this.subscriber.sunsubscribe(trigger).catch(() => undefined);
        } else if (result.status === 'rejected') failed.push(trigger);
        else {
          const pending = this.subscribing.get(trigger);
          if (pending) this.subscribed(trigger, pending);
        }
      });
      pending = failed;
      if (pending.length === 0) break;
      const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
      this.log.warn({ err: reason.message, triggers: pending.length, attempt }, 'renewing shard subscriptions after a reconnect failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)));
      if (renewal !== this.renewal) return;
    }
    for (const listener of [...this.resubscribedListeners]) listener();
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
