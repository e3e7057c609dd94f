import { z } from 'zod';
import type { Logger } from '../config/logger.ts';
import { createRedis, isCluster, onShardRenewalNeeded, type RedisClient, type RedisTarget } from '../config/redis.ts';

/**
 * Revoked logins. An access token names its login (the refresh-token family) in its `sid` claim;
 * ending a login (logout, refresh-token reuse, password reset) makes users announce the family
 * here, and every gateway refuses the login's access tokens from then on, instead of letting them
 * live out their lifetime.
 *
 * Each revocation is a member of one sorted set, scored by the end of the newest access token it can
 * concern (so a gateway that starts later loads it), plus a message on a channel (so running
 * gateways learn it at once). Gateways keep the set in memory: checking a token never waits on Redis.
 *
 * The set and the channel have the same name, so on a Redis Cluster they hash to the same slot: the
 * transaction that records and announces a revocation touches one shard (SPUBLISH there), and
 * loading them all is one command, with no SCAN across the masters.
 */
const KEY = 'revoked-logins';
const CHANNEL = KEY;
/** Beyond the access-token lifetime: the verifier's clock tolerance and clock skew between hosts. */
const MARGIN_MS = 30_000;

const announcement = z.array(z.object({ familyId: z.string().min(1), until: z.number() }));
export type Revocation = z.infer<typeof announcement>[number];

export interface RevocationPublisher {
  /**
   * Announces that these logins ended. Call it only once the change is applied (their refresh
   * tokens are refused), so a gateway never refuses a login that still refreshes. Resolves once
   * Redis confirmed, or after `waitMs` (logging it): the command stays queued and goes out when
   * Redis is back, and gateways load the key when they resynchronise.
   */
  revoke(familyIds: readonly string[]): Promise<void>;
}

export function createRevocationPublisher(
  redis: RedisClient,
  opts: { accessTokenTtlMs: number; logger: Logger; waitMs?: number },
): RevocationPublisher {
  const waitMs = opts.waitMs ?? 2_000;
  return {
    async revoke(familyIds) {
      if (familyIds.length === 0) return;
      const ttlMs = opts.accessTokenTtlMs + MARGIN_MS;
      const until = Date.now() + ttlMs;
      const revocations: Revocation[] = [...new Set(familyIds)].map((familyId) => ({ familyId, until }));
      // One transaction: a revocation is never stored without its message having been sent, nor the
      // reverse. Entries past their end are dropped; the set itself lives as long as its newest one.
      const multi = redis.multi();
      multi.zadd(KEY, ...revocations.flatMap(({ familyId }) => [until, familyId]));
      multi.zremrangebyscore(KEY, '-inf', Date.now());
      multi.pexpire(KEY, ttlMs);
      if (isCluster(redis)) multi.spublish(CHANNEL, JSON.stringify(revocations));
      else multi.publish(CHANNEL, JSON.stringify(revocations));
      let timer: NodeJS.Timeout | undefined;
      const sent = multi.exec().then(
        () => true,
        (err: unknown) => (opts.logger.warn({ err }, 'revocation not announced'), false),
      );
      const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
      const confirmed = await Promise.race([sent, late]).finally(() => clearTimeout(timer));
      if (!confirmed) {
        opts.logger.warn({ logins: revocations.length, waitedMs: waitMs }, 'revocation not confirmed by Redis; its access tokens stay valid at gateways until Redis has it');
      }
    },
  };
}

export interface RevocationList {
  /** Whether the login (the access token's `sid`) was ended. Synchronous: never waits on Redis. */
  isRevoked(familyId: string): boolean;
  /** Called with the logins that just became known as revoked (to close their open sockets). */
  onRevoked(listener: (familyIds: string[]) => void): void;
  /** Resolves once the revocations in Redis have been loaded the first time. */
  readonly loaded: Promise<void>;
  close(): Promise<void>;
}

/**
 * The gateways' side: subscribes to announcements, then loads every revocation key (on start and
 * after every reconnect, which also picks up what was announced while the connection was down).
 * While Redis is unreachable it keeps what it knows and refuses nothing more: tokens revoked then
 * stay usable until Redis is back or they expire (at most the access-token lifetime).
 */
export function createRevocationList(target: RedisTarget, logger: Logger): RevocationList {
  const log = logger.child({ component: 'revocations' });
  const revoked = new Map<string, number>();
  const listeners: ((familyIds: string[]) => void)[] = [];
  const options = { maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 100, 2_000) };
  const subscriber = createRedis(target, options, { shardedSubscriber: true });
  const commands = createRedis(target, options);
  const cluster = isCluster(subscriber);
  let warned = false;
  for (const client of [subscriber, commands]) {
    client.on('error', (err: Error) => {
      if (!warned) log.warn({ err: err.message }, 'Redis unreachable: revocations announced meanwhile take effect once it is back');
      warned = true;
    });
  }

  const add = (revocations: Revocation[]) => {
    const now = Date.now();
    const fresh = revocations.filter(({ familyId, until }) => until > now && !revoked.has(familyId));
    for (const { familyId, until } of fresh) revoked.set(familyId, until);
    if (fresh.length > 0) for (const listener of listeners) listener(fresh.map((r) => r.familyId));
  };

  subscriber.on(cluster ? 'smessage' : 'message', (channel: string, message: string) => {
    if (channel !== CHANNEL) return;
    const parsed = announcement.safeParse(safeJson(message));
    if (parsed.success) add(parsed.data);
    else log.warn({ issues: parsed.error.issues.length }, 'malformed revocation announcement ignored');
  });

  /** Subscribed first, then the set: anything announced after it was read arrives as a message. */
  async function resync(): Promise<void> {
    if (isCluster(subscriber)) await subscriber.ssubscribe(CHANNEL);
    else await subscriber.subscribe(CHANNEL);
    const entries = await commands.zrangebyscore(KEY, Date.now(), '+inf', 'WITHSCORES');
    const found: Revocation[] = [];
    for (let i = 0; i + 1 < entries.length; i += 2) found.push({ familyId: entries[i]!, until: Number(entries[i + 1]) });
    add(found);
    warned = false;
    log.info({ revoked: revoked.size }, 'revocations loaded');
  }

  let markLoaded: () => void;
  const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
  let attempts = 0;
  let closed = false;
  // Retried until it succeeds: a failover can refuse the first SSUBSCRIBE (the new master not
  // serving the slot yet), and no later event would come to try again. A newer reconnect takes over.
  const onReady = () => {
    const attempt = ++attempts;
    const tryResync = (failures: number) => {
      resync().then(markLoaded, (err: unknown) => {
        if (closed || attempt !== attempts) return;
        log.warn({ err: err instanceof Error ? err.message : err }, 'revocations not loaded; retrying');
        setTimeout(() => tryResync(failures + 1), Math.min(100 * 2 ** failures, 2_000)).unref();
      });
    };
    tryResync(1);
  };
  subscriber.on('ready', onReady);
  // A cluster client's shard subscription is renewed after a failover or when its node drops it.
  if (isCluster(subscriber)) onShardRenewalNeeded(subscriber, onReady);

  // Expired revocations concern no valid token any more.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [familyId, until] of revoked) if (until <= now) revoked.delete(familyId);
  }, 60_000);
  sweep.unref();

  return {
    isRevoked: (familyId) => (revoked.get(familyId) ?? 0) > Date.now(),
    onRevoked: (listener) => void listeners.push(listener),
    loaded,
    async close() {
      closed = true;
      clearInterval(sweep);
      await Promise.allSettled([subscriber.quit(), commands.quit()]);
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
