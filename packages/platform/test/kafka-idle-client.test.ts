import { createRequire } from 'node:module';
import { startKafkaMock } from '@finder/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventProducer, createKafka } from '../src/kafka/index.ts';
import { createLogger } from '../src/config/logger.ts';

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
});
