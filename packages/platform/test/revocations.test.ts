import { freePort } from '@finder/testing/ports';
import { until } from '@finder/testing/processes';
import { privateRedis } from '@finder/testing/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRevocationList, createRevocationPublisher, type RevocationList } from '../src/auth/revocations.ts';
import { createLogger } from '../src/config/logger.ts';
import { singleRedis } from '../src/config/redis.ts';

const logger = createLogger('revocations-test', 'silent');
const login = () => crypto.randomUUID();

/** Revocations with Redis going away and coming back (a private Redis, which the stack's gateways never see). */
describe('revocations while Redis is unreachable', () => {
  let redis: ReturnType<typeof privateRedis>;
  let publisherClient: Redis;
  const lists: RevocationList[] = [];

  beforeAll(async () => {
    redis = privateRedis(await freePort());
    await redis.start();
    // Configured as users' pub/sub client is: commands queue while Redis is down.
    publisherClient = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    publisherClient.on('error', () => undefined);
  });
  afterAll(async () => {
    await Promise.all(lists.map((list) => list.close()));
    publisherClient.disconnect();
    await redis.stop();
  });

  it('a revocation made while Redis is down neither holds up the caller nor gets lost: gateways learn it once Redis is back', async () => {
    const publisher = createRevocationPublisher(publisherClient, { accessTokenTtlMs: 900_000, logger, waitMs: 300 });
    const list = createRevocationList(singleRedis(redis.url), logger);
    lists.push(list);
    await list.loaded;
    const before = login();
    await publisher.revoke([before]);
    await until(async () => list.isRevoked(before), 2_000, 'the announcement');

    await redis.stop();
    const during = login();
    const started = performance.now();
    await publisher.revoke([during]);
    // The logout answers after the bounded wait rather than when Redis returns.
    expect(performance.now() - started).toBeLessThan(1_500);
    // Fail open: what the gateway knew still holds, and the rest is accepted meanwhile.
    expect(list.isRevoked(before)).toBe(true);
    expect(list.isRevoked(during)).toBe(false);

    // Down long enough for the gateway's reconnect backoff to outgrow the publisher's: the queued
    // announcement then goes out before the gateway has subscribed again, and only the key it
    // left behind, loaded when the gateway reconnects, can tell it.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await redis.start();
    await until(async () => list.isRevoked(during), 10_000, 'the revocation queued during the outage');
  });
});
