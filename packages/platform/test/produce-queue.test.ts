import { startKafkaMock } from '@finder/testing/processes';
import type { Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/config/logger.ts';
import { createKafka } from '../src/kafka/index.ts';
import { createProduceQueue, MAX_REQUEST_BYTES } from '../src/kafka/produce-queue.ts';

/** Sends made while a produce is in flight share the next request; order and outcomes hold. */
describe('produce queue', () => {
  let broker: Awaited<ReturnType<typeof startKafkaMock>>;
  let kafka: Kafka;
  let producer: Producer;
  /** Every Produce request the queue made: its topic and its messages. */
  let requests: { topic: string; messages: Message[] }[];
  let send: ReturnType<typeof createProduceQueue>;

  beforeAll(async () => {
    broker = await startKafkaMock(process.env.KAFKA_MOCK_BIN!, ['batched:2', 'large:1', 'other:1']);
    kafka = createKafka({ brokers: broker.brokers.split(','), clientId: 'produce-queue-test', logger: createLogger('produce-queue-test') });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await broker?.stop();
  });
  beforeEach(() => {
    requests = [];
    send = createProduceQueue(async (topic, messages) => {
      requests.push({ topic, messages });
      await producer.send({ topic, acks: -1, messages });
    });
  });

  async function consume(topic: string, count: number): Promise<KafkaMessage[]> {
    const consumer = kafka.consumer({ groupId: `produce-queue-${topic}-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: KafkaMessage[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message);
          if (received.length >= count) resolve();
        },
      });
    });
    await consumer.disconnect();
    return received;
  }

  it('sends a lone write at once, and what is sent during its round trip together in the next request', async () => {
    const keys = ['a', 'b', 'c', 'd'];
    await Promise.all(Array.from({ length: 200 }, (_, i) => send('batched', [{ key: keys[i % 4]!, value: `${keys[i % 4]}:${Math.floor(i / 4)}` }])));
    // The first went alone; the other 199 were queued while it was in flight, and went as one.
    expect(requests.map((r) => r.messages.length)).toEqual([1, 199]);

    const received = await consume('batched', 200);
    expect(received).toHaveLength(200);
    for (const key of keys) {
      const values = received.filter((m) => m.key?.toString() === key).map((m) => Number(m.value!.toString().split(':')[1]));
      expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i));
    }
  }, 60_000);

  it('keeps each request under its size bound; a message above it goes alone', async () => {
    const third = 'x'.repeat(Math.floor(MAX_REQUEST_BYTES / 3));
    const huge = 'y'.repeat(MAX_REQUEST_BYTES + 1);
    const values = ['first', third, third, third, huge, 'last'];
    await Promise.all(values.map((value) => send('large', [{ value }])));
    expect(requests.map((r) => r.messages.map((m) => (m.value as string).length))).toEqual([
      [5],
      [third.length, third.length], // a third one would pass the bound
      [third.length],
      [huge.length],
      [4],
    ]);
    expect((await consume('large', values.length)).map((m) => m.value!.length)).toEqual(values.map((v) => v.length));
  }, 60_000);

  it('rejects exactly the sends its failed request carried; later sends go on', async () => {
    const outcome = (p: Promise<void>) => p.then(() => 'sent', (err: Error) => `failed: ${err.message}`);
    const first = outcome(send('other', [{ value: 'one' }]));
    // Queued while the first is in flight, so they share the next request, which fails as a
    // whole: one of its messages cannot be encoded.
    const shared = [outcome(send('other', [{ value: { not: 'bytes' } as unknown as string }])), outcome(send('other', [{ value: 'two' }]))];
    expect(await first).toBe('sent');
    const [bad, two] = await Promise.all(shared);
    expect(bad).toMatch(/^failed: /);
    expect(two).toBe(bad);
    expect(await outcome(send('other', [{ value: 'three' }]))).toBe('sent');
    expect(requests.map((r) => r.messages.length)).toEqual([1, 2, 1]);
    expect((await consume('other', 2)).map((m) => m.value!.toString())).toEqual(['one', 'three']);
  }, 60_000);
});
