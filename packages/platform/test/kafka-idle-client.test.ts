import { createRequire } from 'node:module';
import { startKafkaMock } from '@finder/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventProducer, createKafka } from '../src/kafka/index.ts';
import { createLogger } from '../src/config/logger.ts';
import { armTimeoutCheck, type RequestQueue, type SocketRequest } from '../src/kafka/request-queue-fix.ts';

/** An idle kafkajs client sits still: its request queues arm no timer with nothing to send. */
describe('kafka client at rest', () => {
  let broker: Awaited<ReturnType<typeof startKafkaMock>>;
  beforeAll(async () => {
    broker = await startKafkaMock(process.env.KAFKA_MOCK_BIN!, ['idle-client:1']);
  });
  afterAll(async () => broker?.stop());

  it('checks its request queue only while requests are pending', async () => {
    const kafka = createKafka({ brokers: broker.brokers.split(','), clientId: 'idle-client', logger: createLogger('idle-client-test') });
    const producer = createEventProducer(kafka, { idempotent: false });
    const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: { checkPendingRequests(): void } };
    const original = RequestQueue.prototype.checkPendingRequests;
    let checks = 0;
    RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
      checks++;
      return original.call(this);
    };
    try {
      await producer.connect();
      await producer.sendRaw('idle-client', [{ key: 'k', value: 'v' }]);
      checks = 0;
      await new Promise((r) => setTimeout(r, 1_000));
      // kafkajs 2.2.4 alone re-checks every ~1 ms per connection: hundreds in a second.
      expect(checks).toBeLessThan(20);
      await producer.sendRaw('idle-client', [{ key: 'k', value: 'still sends' }]);
    } finally {
      RequestQueue.prototype.checkPendingRequests = original;
      await producer.disconnect();
    }
  }, 30_000);

  it('watches for request timeouts with one timer at the earliest deadline, not an interval of 100 ms', async () => {
    const kafka = createKafka({ brokers: broker.brokers.split(','), clientId: 'idle-client', logger: createLogger('idle-client-test') });
    const producer = createEventProducer(kafka, { idempotent: false });
    type Queue = { inflight: Map<number, unknown>; requestTimeoutIntervalId: NodeJS.Timeout | null; requestTimeoutCheckAt?: number };
    const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: { sendSocketRequest(this: Queue, r: unknown): void } };
    const original = RequestQueue.prototype.sendSocketRequest;
    const queues = new Set<Queue>();
    let watchedInFlight = false;
    // (the wrapper below sees the queue just after the fix armed its check)
    RequestQueue.prototype.sendSocketRequest = function (this: Queue, request: unknown) {
      queues.add(this);
      original.call(this, request);
      if (this.inflight.size > 0 && this.requestTimeoutIntervalId) watchedInFlight = true;
    };
    try {
      await producer.connect();
      await producer.sendRaw('idle-client', [{ key: 'k', value: 'v' }]);
      await new Promise((r) => setTimeout(r, 500));
      expect(queues.size).toBeGreaterThan(0);
      // A request in flight is watched, by a timer at its deadline (seconds away), not by kafkajs
      // 2.2.4's interval of 100 ms that runs on every connection for its whole life.
      expect(watchedInFlight).toBe(true);
      const ticking = [...queues].filter((q) => q.requestTimeoutIntervalId !== null && !(q.requestTimeoutCheckAt! - Date.now() > 1_000));
      expect(ticking).toHaveLength(0);
    } finally {
      RequestQueue.prototype.sendSocketRequest = original;
      await producer.disconnect();
    }
  }, 30_000);
});

describe('request timeouts', () => {
  it('times out a request in flight at its deadline, and leaves no timer once none is in flight', async () => {
    const timedOut: number[] = [];
    const inflight = new Map<number, SocketRequest>();
    const queue = { inflight, requestTimeoutIntervalId: null, isConnected: () => true } as unknown as RequestQueue;
    const request = (id: number, timeoutMs: number): SocketRequest => ({
      sentAt: Date.now(),
      requestTimeout: timeoutMs,
      timeoutRequest: () => (timedOut.push(id), inflight.delete(id)),
    });
    inflight.set(1, request(1, 300));
    armTimeoutCheck(queue);
    inflight.set(2, request(2, 60)); // an earlier deadline re-arms the check
    armTimeoutCheck(queue);
    await new Promise((r) => setTimeout(r, 150));
    expect(timedOut).toEqual([2]);
    await new Promise((r) => setTimeout(r, 250));
    expect(timedOut).toEqual([2, 1]);
    expect(queue.requestTimeoutIntervalId).toBeNull();
  });
});
