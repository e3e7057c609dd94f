import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ConfigError, type ClusterSeed } from './env.ts';

/**
 * Where Redis is: one server (`REDIS_URL`) or a Redis Cluster reached through seed nodes
 * (`REDIS_CLUSTER_NODES`); the client discovers the other nodes and follows failovers itself.
 */
export type RedisTarget = { mode: 'single'; url: string } | { mode: 'cluster'; nodes: ClusterSeed[]; auth?: ClusterAuth };

/** What every node of a cluster is reached with (a single Redis has them in its URL). */
export interface ClusterAuth {
  username?: string | undefined;
  password?: string | undefined;
  /** TLS to every node, verified against the system's certificate authorities. */
  tls?: boolean | undefined;
}

/** Either client; both take the same commands (a cluster sends each to the node owning its key). */
export type RedisClient = Redis | Cluster;

export interface RedisEnv {
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES?: ClusterSeed[] | undefined;
  REDIS_CLUSTER_USERNAME?: string | undefined;
  REDIS_CLUSTER_PASSWORD?: string | undefined;
  REDIS_CLUSTER_TLS?: boolean | undefined;
}

/** The target the settings name, or null when neither is set; both set is a configuration error. */
export function optionalRedisTarget(env: RedisEnv): RedisTarget | null {
  if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) {
    throw new ConfigError(['REDIS_CLUSTER_NODES: set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both']);
  }
  const clusterOnly = (['REDIS_CLUSTER_USERNAME', 'REDIS_CLUSTER_PASSWORD', 'REDIS_CLUSTER_TLS'] as const).find((name) => env[name]);
  if (!env.REDIS_CLUSTER_NODES && clusterOnly) {
    throw new ConfigError([`${clusterOnly}: applies to REDIS_CLUSTER_NODES, which is not set (a REDIS_URL carries its own credentials and TLS: redis://user:password@host, rediss://)`]);
  }
  if (env.REDIS_CLUSTER_NODES) {
    const auth: ClusterAuth = { username: env.REDIS_CLUSTER_USERNAME, password: env.REDIS_CLUSTER_PASSWORD, tls: env.REDIS_CLUSTER_TLS };
    return { mode: 'cluster', nodes: env.REDIS_CLUSTER_NODES, ...(auth.username || auth.password || auth.tls ? { auth } : {}) };
  }
  if (env.REDIS_URL) return { mode: 'single', url: env.REDIS_URL };
  return null;
}

export function redisTarget(env: RedisEnv): RedisTarget {
  const target = optionalRedisTarget(env);
  if (!target) throw new ConfigError(['REDIS_URL: required, or REDIS_CLUSTER_NODES for a Redis Cluster (missing)']);
  return target;
}

/** One server at `url` (tests and tools that start their own Redis). */
export const singleRedis = (url: string): RedisTarget => ({ mode: 'single', url });

export const isCluster = (client: RedisClient): client is Cluster => client instanceof Cluster;

/**
 * The one place clients are made. `options` apply to every connection (a cluster's too);
 * `shardedSubscriber` makes a cluster client that keeps one subscriber connection per master for
 * SSUBSCRIBE and moves its channels to the new master after a failover (ioredis' sharded subscribers).
 */
export function createRedis(target: RedisTarget, options: RedisOptions = {}, cluster: { shardedSubscriber?: boolean } = {}): RedisClient {
  if (target.mode === 'single') return new Redis(target.url, options);
  const { enableAutoPipelining, enableOfflineQueue, ...redisOptions } = options;
  const { username, password, tls } = target.auth ?? {};
  return new Cluster(target.nodes, {
    redisOptions: { ...redisOptions, ...(username ? { username } : {}), ...(password ? { password } : {}), ...(tls ? { tls: {} } : {}) },
    shardedSubscribers: cluster.shardedSubscriber ?? false,
    ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    // Reconnects after every node was lost (the whole cluster restarted), as a single client does.
    clusterRetryStrategy: (times: number) => Math.min(times * 100, 2_000),
    // The slot map is asked for again every few seconds, not only after an error: a connection
    // can stay healthy on a node that no longer serves its slots (a subscriber on a demoted master).
    slotsRefreshInterval: 5_000,
    // Redirections come while a replica takes over; retry them instead of failing the command.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
  });
}

/**
 * Calls `renew` whenever a cluster client's shard subscriptions must be sent again: after its
 * subscriber group reconnected ('subscribersReady', `reason` undefined), and when a node ended
 * them unasked (`reason` says so), once the slot map was asked for again. A node that loses slots
 * while it stays up (a master demoted by a failover, or one restarted after a failover and briefly
 * believing it still serves its old slots) sends an unsolicited SUNSUBSCRIBE. ioredis 5 does not
 * expect one: it forgets the channel and reports only a "Command queue state error" ('nodeError'),
 * while its connection to that node stays healthy, so nothing else would move the channel before
 * the next periodic refresh of the slot map.
 */
export function onShardRenewalNeeded(subscriber: Cluster, renew: (reason?: string) => void): void {
  subscriber.on('subscribersReady', () => renew());
  subscriber.on('nodeError', (err: Error) => {
    if (!/Last reply: sunsubscribe\b/.test(err.message)) return;
    subscriber.refreshSlotsCache(() => renew(err.message));
  });
}
