import { stackEnv } from '@finder/testing/stack';
import { until } from '@finder/testing/processes';
import { afterAll, describe, expect, it } from 'vitest';
import { gaplessStream, REPLAY_QUEUE_BOUND } from '../src/realtime/gapless.ts';
import { createLogger } from '../src/config/logger.ts';
import { singleRedis } from '../src/config/redis.ts';
import { createPubSub } from '../src/realtime/pubsub.ts';

const env = stackEnv();
const logger = createLogger('gapless-test', 'silent');

describe('a gapless stream', () => {
  const pubsub = createPubSub({ redis: singleRedis(env.REDIS_URL!), logger });
  // The stream's UNSUBSCRIBE goes out asynchronously; let it finish before the connection closes.
  afterAll(async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pubsub.close();
  });

  it('replays what is stored after the cursor, then takes live publications of one event or of a batch, in order, once each', async () => {
    // Both connections ready first: a subscriber that turns ready after the stream started emits
    // 'ready', which (rightly, after a reconnect) sends the stream back to storage once more.
    await Promise.all([pubsub.redis.ping(), pubsub.subscriber.ping()]);
    const trigger = `gapless-test.${crypto.randomUUID()}`;
    // Storage: what a persister committed before it published.
    const stored = [1, 2].map((seq) => ({ seq }));
    let replays = 0;
    const stream = await gaplessStream<{ seq: number }>({
      pubsub,
      trigger,
      after: 0,
      replay: async (after, limit) => {
        replays++;
        return stored.filter((e) => e.seq > after).slice(0, limit);
      },
      latest: async () => stored.length,
      seqOf: (e) => e.seq,
      logger,
    });
    const received: number[] = [];
    void (async () => {
      for await (const event of stream) received.push(event.seq);
    })();
    await until(async () => received.length === 2, 10_000, 'the replay');

    stored.push({ seq: 3 }, { seq: 4 }, { seq: 5 });
    await pubsub.publish(trigger, [{ seq: 3 }, { seq: 4 }, { seq: 5 }]);
    stored.push({ seq: 6 });
    await pubsub.publish(trigger, { seq: 6 });
    // A repeated batch (a persister's redelivered publication) adds nothing.
    await pubsub.publish(trigger, [{ seq: 5 }, { seq: 6 }]);
    stored.push({ seq: 7 });
    await pubsub.publish(trigger, [{ seq: 7 }]);
    await until(async () => received.length >= 7, 10_000, 'the live events');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Live events in order never send the stream back to storage.
    expect(replays).toBe(1);
    await stream.return?.();
  });
  it('replays a long history from after: 0 in pages, reading storage only as fast as the consumer takes events', async () => {
    await Promise.all([pubsub.redis.ping(), pubsub.subscriber.ping()]);
    const trigger = `gapless-test.${crypto.randomUUID()}`;
    const stored = Array.from({ length: 6_000 }, (_, i) => ({ seq: i + 1 }));
    // Events read from storage and not yet taken by the consumer: what the stream holds in memory.
    let read = 0;
    let taken = 0;
    let held = 0;
    const stream = await gaplessStream<{ seq: number }>({
      pubsub,
      trigger,
      after: 0,
      replay: async (after, limit) => {
        const page = stored.filter((e) => e.seq > after).slice(0, limit);
        read += page.length;
        held = Math.max(held, read - taken);
        return page;
      },
      latest: async () => stored.length,
      seqOf: (e) => e.seq,
      logger,
    });
    // A consumer that is not reading (a gateway whose socket is full) stops the replay.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(read).toBeLessThan(stored.length);
    expect(read).toBeLessThanOrEqual(REPLAY_QUEUE_BOUND + 500);

    const received: number[] = [];
    for await (const event of stream) {
      received.push(event.seq);
      taken++;
      // A slow consumer: a pause now and then lets the replay run ahead as far as it may.
      if (taken % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      if (received.length === stored.length) break;
    }
    expect(received).toEqual(stored.map((e) => e.seq));
    expect(held).toBeLessThanOrEqual(REPLAY_QUEUE_BOUND + 500);
  });
});
