import { privateRedisCluster, type PrivateRedisCluster } from '@finder/testing/redis';
import { until } from '@finder/testing/processes';
import { GraphQLError } from 'graphql';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRevocationList, createRevocationPublisher } from '../src/auth/revocations.ts';
import { ConfigError, parseEnv, redisEnv } from '../src/config/env.ts';
import { createLogger } from '../src/config/logger.ts';
import { createRedis, isCluster, redisTarget, type RedisClient, type RedisTarget } from '../src/config/redis.ts';
import { createPresence } from '../src/realtime/presence.ts';
import { createPubSub, type PubSub } from '../src/realtime/pubsub.ts';
import { createRateLimiter, createRateLimitRedis } from '../src/server/rate-limit.ts';

const logger = createLogger('redis-cluster-test', 'silent');

describe('Redis settings', () => {
  const parse = (env: Record<string, string>) => redisTarget(parseEnv(redisEnv, env));
  const problems = (env: Record<string, string>) => {
    try {
      parse(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems.join('\n');
      throw err;
    }
    return 'accepted';
  };

  it('REDIS_URL is one Redis, REDIS_CLUSTER_NODES a cluster from its seed nodes', () => {
    expect(parse({ REDIS_URL: 'redis://10.0.0.5:6379' })).toEqual({ mode: 'single', url: 'redis://10.0.0.5:6379' });
    expect(parse({ REDIS_CLUSTER_NODES: '10.0.0.5:7000, redis-2.internal:7001,[::1]:7002' })).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.5', port: 7000 },
        { host: 'redis-2.internal', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    });
  });

  it('names the bad value, and refuses both settings at once or neither', () => {
    expect(problems({ REDIS_CLUSTER_NODES: '10.0.0.5:7000,10.0.0.6' })).toMatch(/REDIS_CLUSTER_NODES: '10\.0\.0\.6' is not host:port/);
    expect(problems({ REDIS_CLUSTER_NODES: 'redis://10.0.0.5:7000' })).toMatch(/REDIS_CLUSTER_NODES: 'redis:\/\/10\.0\.0\.5:7000' is not host:port/);
    expect(problems({ REDIS_CLUSTER_NODES: '10.0.0.5:70000' })).toMatch(/'10\.0\.0\.5:70000' is not host:port/);
    expect(problems({ REDIS_CLUSTER_NODES: ' , ' })).toMatch(/REDIS_CLUSTER_NODES: expected host:port/);
    expect(problems({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'a:1' })).toMatch(/not both/);
    expect(problems({})).toMatch(/REDIS_URL: required, or REDIS_CLUSTER_NODES/);
  });

  it("a cluster's credentials and TLS are settings of their own; without REDIS_CLUSTER_NODES they are refused", () => {
    expect(parse({ REDIS_CLUSTER_NODES: '10.0.0.5:7000', REDIS_CLUSTER_USERNAME: 'finder', REDIS_CLUSTER_PASSWORD: 's3cret', REDIS_CLUSTER_TLS: 'true' })).toEqual({
      mode: 'cluster',
      nodes: [{ host: '10.0.0.5', port: 7000 }],
      auth: { username: 'finder', password: 's3cret', tls: true },
    });
    expect(problems({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_PASSWORD: 's3cret' })).toMatch(/^REDIS_CLUSTER_PASSWORD: applies to REDIS_CLUSTER_NODES, which is not set/);
    expect(problems({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_TLS: 'true' })).toMatch(/^REDIS_CLUSTER_TLS: applies to REDIS_CLUSTER_NODES/);
    expect(problems({ REDIS_CLUSTER_NODES: 'a:1', REDIS_CLUSTER_TLS: 'maybe' })).toMatch(/REDIS_CLUSTER_TLS/);
    // An empty value is no value: a process can be kept from inheriting the other setting.
    expect(parse({ REDIS_URL: '', REDIS_CLUSTER_NODES: 'a:1', REDIS_CLUSTER_PASSWORD: '' })).toEqual({ mode: 'cluster', nodes: [{ host: 'a', port: 1 }] });
    expect(parse({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: '' })).toEqual({ mode: 'single', url: 'redis://a:1' });
  });
});

describe('on a Redis Cluster that requires a password', () => {
  let cluster: PrivateRedisCluster;
  const clients: RedisClient[] = [];
  const pubsubs: PubSub[] = [];
  beforeAll(async () => {
    cluster = await privateRedisCluster({ masters: 3, replicas: 0, password: 'cluster-test-password' });
  });
  afterAll(async () => {
    await Promise.allSettled(pubsubs.map((p) => p.close()));
    for (const c of clients) c.disconnect();
    await cluster?.stop();
  });

  it('REDIS_CLUSTER_PASSWORD reaches every node, pub/sub included; the nodes refuse a client without it', async () => {
    const target = redisTarget(parseEnv(redisEnv, { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_CLUSTER_PASSWORD: 'cluster-test-password' }));
    const redis = createRedis(target, { maxRetriesPerRequest: 1 });
    clients.push(redis);
    const keys = ['auth:a', 'auth:b', 'auth:c', 'auth:d', 'auth:e', 'auth:f'];
    expect(new Set(await Promise.all(keys.map((k) => cluster.masterFor(k)))).size).toBeGreaterThan(1);
    await Promise.all(keys.map((key, i) => redis.set(key, String(i))));
    expect(await Promise.all(keys.map((key) => redis.get(key)))).toEqual(['0', '1', '2', '3', '4', '5']);

    const [subscriber, publisher] = [createPubSub({ redis: target, logger }), createPubSub({ redis: target, logger })];
    pubsubs.push(subscriber, publisher);
    const got: number[] = [];
    await subscriber.engine.subscribe('auth:channel', (n: number) => void got.push(n));
    await publisher.publish('auth:channel', 7);
    await until(async () => got.length === 1, 5_000, 'the publication');
    expect(got).toEqual([7]);

    // The nodes do require it: a client without it is refused by any of them.
    const node = new Redis(cluster.nodes[0]!.port, '127.0.0.1', { maxRetriesPerRequest: 0, lazyConnect: true });
    node.on('error', () => undefined);
    clients.push(node);
    await expect(node.call('cluster', 'info')).rejects.toThrow(/NOAUTH/);
  });
});

/** A real cluster of three masters and three replicas (redis-server processes, no mocks). */
describe('on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let target: RedisTarget;
  const clients: RedisClient[] = [];
  const pubsubs: PubSub[] = [];
  const client = (options = {}) => {
    const c = createRedis(target, { maxRetriesPerRequest: null, ...options });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const pubsub = () => {
    const p = createPubSub({ redis: target, logger });
    pubsubs.push(p);
    return p;
  };
  /** Channel names whose slots are on three different masters. */
  const channelsOnEveryShard = async (prefix: string) => {
    const byMaster = new Map<number, string>();
    for (let i = 0; byMaster.size < 3; i++) {
      const channel = `${prefix}:${i}`;
      const master = await cluster.masterFor(channel);
      if (!byMaster.has(master)) byMaster.set(master, channel);
    }
    return byMaster;
  };

  /** A subscriber of `channel` (counting its resubscriptions) and a publisher, the first publication delivered. */
  const followed = async (channel: string) => {
    const [subscriberSide, publisherSide] = [pubsub(), pubsub()];
    const stream = { channel, publisherSide, received: [] as number[], resubscribed: 0 };
    await subscriberSide.engine.subscribe(channel, (n: number) => void stream.received.push(n));
    subscriberSide.onResubscribed(() => stream.resubscribed++);
    await publisherSide.publish(channel, 1);
    await until(async () => stream.received.length === 1, 5_000, 'the first publication');
    return stream;
  };
  /** After its shard changed master: publications reach the subscriber again, renewed, in order, none twice. */
  const deliversAgain = async (stream: Awaited<ReturnType<typeof followed>>) => {
    // Publications keep being retried until the new master takes them and the subscriber is back.
    let n = 2;
    await until(async () => {
      await stream.publisherSide.publish(stream.channel, n++);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return stream.received.length > 1;
    }, 20_000, 'a publication delivered through the new master');
    expect(stream.resubscribed).toBeGreaterThan(0);
    expect(stream.received).toEqual([...stream.received].sort((x, y) => x - y));
    expect(new Set(stream.received).size).toBe(stream.received.length);
  };

  beforeAll(async () => {
    cluster = await privateRedisCluster({ masters: 3, replicas: 1 });
    target = { mode: 'cluster', nodes: cluster.nodes.slice(0, 2) };
  });
  afterAll(async () => {
    await Promise.allSettled(pubsubs.map((p) => p.close()));
    for (const c of clients) c.disconnect();
    await cluster?.stop();
  });

  it('the factory makes a cluster client from two seed nodes that reaches keys on every master', async () => {
    const redis = client();
    expect(isCluster(redis)).toBe(true);
    expect(redis).toBeInstanceOf(Cluster);
    expect(createRedis({ mode: 'single', url: 'redis://127.0.0.1:1' }, { lazyConnect: true })).toBeInstanceOf(Redis);
    const keys = [...(await channelsOnEveryShard('factory')).values()];
    await Promise.all(keys.map((key, i) => redis.set(key, String(i))));
    expect(await Promise.all(keys.map((key) => redis.get(key)))).toEqual(['0', '1', '2']);
    expect((await (redis as Cluster).nodes('master')).length).toBe(3);
  });

  it('delivers over sharded pub/sub on every shard, in order, to subscribers of another process', async () => {
    const [subscriberSide, publisherSide] = [pubsub(), pubsub()];
    const channels = await channelsOnEveryShard('stream');
    const received = new Map<string, number[]>();
    for (const channel of channels.values()) {
      received.set(channel, []);
      await subscriberSide.engine.subscribe(channel, (n: number) => void received.get(channel)!.push(n));
    }
    // The channels are shard channels (SSUBSCRIBE), each on the master owning its slot; none is a
    // classic channel, which a cluster would broadcast to every node.
    for (const [master, channel] of channels) {
      const node = new Redis(master, '127.0.0.1');
      expect(await node.call('pubsub', 'shardchannels', channel)).toEqual([channel]);
      expect(await node.call('pubsub', 'channels', channel)).toEqual([]);
      node.disconnect();
    }
    for (let n = 1; n <= 50; n++) for (const channel of channels.values()) await publisherSide.publish(channel, n);
    const expected = Array.from({ length: 50 }, (_, i) => i + 1);
    await until(async () => [...received.values()].every((list) => list.length === 50), 5_000, 'every publication');
    for (const list of received.values()) expect(list).toEqual(expected);
  });

  it('a second subscriber of a trigger is subscribed only once the first SSUBSCRIBE is answered', async () => {
    const [subscriberSide, publisherSide] = [pubsub(), pubsub()];
    const got: string[] = [];
    const resolved: string[] = [];
    const first = subscriberSide.engine.subscribe('inflight:trigger', (m: string) => void got.push(`first ${m}`)).then(() => resolved.push('first'));
    const second = subscriberSide.engine.subscribe('inflight:trigger', (m: string) => void got.push(`second ${m}`)).then(() => resolved.push('second'));
    await second;
    // What the second publishes as soon as it is told it is subscribed reaches both.
    await publisherSide.publish('inflight:trigger', 'x');
    await first;
    expect(resolved).toEqual(['first', 'second']);
    await until(async () => got.length === 2, 5_000, 'both deliveries');
    expect(got.sort()).toEqual(['first x', 'second x']);
  });

  it('asyncIterableIterator and unsubscribe: what the subgraphs use for typing and conversation updates', async () => {
    const [a, b] = [pubsub(), pubsub()];
    const iterator = a.engine.asyncIterableIterator<{ n: number }>('iterator:trigger');
    const master = new Redis(await cluster.masterFor('iterator:trigger'), '127.0.0.1');
    const listening = async () => ((await master.call('pubsub', 'shardchannels', 'iterator:trigger')) as string[]).length === 1;
    // The iterator subscribes on its first next().
    const first = iterator.next();
    await until(listening, 5_000, 'the iterator to listen');
    await b.publish('iterator:trigger', { n: 1 });
    expect((await first).value).toEqual({ n: 1 });
    await iterator.return?.();
    await until(async () => !(await listening()), 5_000, 'SUNSUBSCRIBE');
    master.disconnect();
  });

  it('rate limiters share one budget between processes, with keys on every shard', async () => {
    const [one, two] = [createRateLimitRedis(target, logger), createRateLimitRedis(target, logger)];
    clients.push(one, two);
    await until(async () => one.status === 'ready' && two.status === 'ready', 10_000, 'budget clients');
    const a = createRateLimiter(one, { prefix: 'cluster', points: 3, durationMs: 60_000 });
    const b = createRateLimiter(two, { prefix: 'cluster', points: 3, durationMs: 60_000 });
    const keys = [...(await channelsOnEveryShard('ratelimit:cluster:user')).values()].map((k) => k.slice('ratelimit:cluster:'.length));
    for (const key of keys) {
      await a.consume(key);
      await b.consume(key, 2);
      const refused = await a.consume(key).then(() => null, (err: unknown) => err);
      expect(refused).toBeInstanceOf(GraphQLError);
      expect((refused as GraphQLError).extensions.code).toBe('RATE_LIMITED');
    }
    // Counted in Redis, not in memory: the keys are on the cluster (the refused attempt counts too).
    const redis = client();
    for (const key of keys) expect(await redis.get(`ratelimit:cluster:${key}`)).toBe('4');
  });

  it('revocations: one transaction on one shard announces them, and a gateway started later loads them', async () => {
    const users = client({ enableAutoPipelining: true });
    const publisher = createRevocationPublisher(users, { accessTokenTtlMs: 900_000, logger });
    const running = createRevocationList(target, logger);
    await running.loaded;
    const logins = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await publisher.revoke(logins);
    await until(async () => logins.every((l) => running.isRevoked(l)), 5_000, 'the announcement');
    const later = createRevocationList(target, logger);
    await later.loaded;
    expect(logins.map((l) => later.isRevoked(l))).toEqual([true, true, true]);
    expect(later.isRevoked(crypto.randomUUID())).toBe(false);
    await Promise.all([running.close(), later.close()]);
  });

  it('presence: marks on several shards, asked about together', async () => {
    const presence = createPresence({ redis: client({ enableAutoPipelining: true }), logger, prefix: 'presence-test' });
    const keys = [...(await channelsOnEveryShard('presence-test')).values()].map((k) => k.slice('presence-test:'.length));
    const leave = keys.map((key) => presence.enter(key));
    await until(async () => (await presence.present([...keys, 'nobody'])).size === 3, 5_000, 'every presence');
    expect(await presence.present([...keys, 'nobody'])).toEqual(new Set(keys));
    leave[0]!();
    await until(async () => !(await presence.present(keys)).has(keys[0]!), 5_000, 'leaving');
    presence.close();
  });

  it('a shard subscription whose renewal is refused is renewed again until it succeeds, and only then reported', async () => {
    // The subscriber connects as a user of its own; taking its channel permission away makes each
    // node drop its subscribed connections (ioredis then renews them) and refuse every SSUBSCRIBE,
    // as a new master that does not serve the slot yet refuses it after a failover.
    const acl = async (...args: string[]) => {
      for (const { port } of cluster.nodes) {
        const node = new Redis(port, '127.0.0.1');
        await node.call('acl', 'setuser', 'listener', ...args);
        node.disconnect();
      }
    };
    await acl('on', '>listener-pass', '+@all', '~*', '&*');
    const listener = createPubSub({ redis: { ...target, auth: { username: 'listener', password: 'listener-pass' } } as RedisTarget, logger });
    const publisherSide = pubsub();
    pubsubs.push(listener);
    const channel = 'renewal:stream';
    const received: number[] = [];
    await listener.engine.subscribe(channel, (n: number) => void received.push(n));
    await publisherSide.publish(channel, 0);
    await until(async () => received.length === 1, 5_000, 'the first publication');

    let renewedByClient = 0;
    listener.subscriber.on('subscribersReady', () => renewedByClient++);
    const resubscribedAt: number[] = [];
    listener.onResubscribed(() => resubscribedAt.push(Date.now()));
    await acl('resetchannels');
    await until(async () => renewedByClient > 0, 10_000, 'the client to renew its shard connections');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(resubscribedAt).toEqual([]);
    const restoredAt = Date.now();
    await acl('allchannels');

    let n = 1;
    await until(async () => {
      await publisherSide.publish(channel, n++);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return received.length > 1;
    }, 10_000, 'a publication delivered once the renewal succeeds');
    expect(resubscribedAt.length).toBeGreaterThan(0);
    expect(resubscribedAt[0]).toBeGreaterThanOrEqual(restoredAt);

    // The gateways' revocation list renews its subscription the same way: refused once, it tries
    // again, so an announcement (or, if it comes first, the set read after subscribing) reaches it.
    const revocations = createRevocationList({ ...target, auth: { username: 'listener', password: 'listener-pass' } } as RedisTarget, logger);
    await revocations.loaded;
    await acl('resetchannels');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await acl('allchannels');
    const login = crypto.randomUUID();
    await createRevocationPublisher(client({ enableAutoPipelining: true }), { accessTokenTtlMs: 900_000, logger }).revoke([login]);
    await until(async () => revocations.isRevoked(login), 10_000, 'the revocation once the renewal succeeds');
    await revocations.close();
  });

  it('a master handing its slots to its replica ends its subscriptions; they move to the new master and deliver again', async () => {
    // The demoted master, still up and reachable, tells its subscribers with an unsolicited
    // SUNSUBSCRIBE; the client must not stay on it (a node restarted after a failover does the same
    // when it learns it lost its slots).
    const stream = await followed('demotion:stream');
    // The gateways' revocation list, on its own subscriber connection, is moved the same way.
    const revocations = createRevocationList(target, logger);
    await revocations.loaded;

    const newMaster = await cluster.failover(await cluster.masterFor(stream.channel));
    expect(await cluster.masterFor(stream.channel)).toBe(newMaster);
    const revocationsMaster = await cluster.masterFor('revoked-logins');
    if (revocationsMaster !== newMaster) await cluster.failover(revocationsMaster);
    await deliversAgain(stream);

    const login = crypto.randomUUID();
    const publisher = createRevocationPublisher(client({ enableAutoPipelining: true }), { accessTokenTtlMs: 900_000, logger });
    await until(async () => {
      // Announced again until heard: one announced before the list moved is read from the set then.
      await publisher.revoke([login]);
      return revocations.isRevoked(login);
    }, 20_000, 'a revocation announced after the failover');
    await revocations.close();
  });

  // Last: it kills a master. Its replica takes over; sharded subscriptions move to it, and the
  // pub/sub says so (gapless streams then refill from storage what was published meanwhile).
  it('after a master fails over, subscriptions on its shard move to the new master and deliver again', async () => {
    const stream = await followed('failover:stream');
    const master = await cluster.masterFor(stream.channel);
    await cluster.kill(master);
    await until(async () => (await cluster.masterFor(stream.channel).catch(() => master)) !== master, 20_000, 'a replica to take over');
    await cluster.waitOk();
    await deliversAgain(stream);
  });
});
