import { Kafka, logLevel } from 'kafkajs';
import { startKafkaMock } from '@finder/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The local broker answers a waiting fetch as Kafka does: as soon as data arrives, not when the
 * fetch's MaxWaitTime runs out (librdkafka's mock alone does the latter; infra/kafka-mock/long-poll.c).
 */
describe('local broker: fetch long poll', () => {
  const bin = process.env.KAFKA_MOCK_BIN;
  let broker: Awaited<ReturnType<typeof startKafkaMock>>;
  let kafka: Kafka;

  beforeAll(async () => {
    if (!bin) throw new Error('KAFKA_MOCK_BIN is not set: source .state/stack.env after ./dev up');
    broker = await startKafkaMock(bin, ['long-poll:2']);
    kafka = new Kafka({ clientId: 'long-poll-test', brokers: broker.brokers.split(','), logLevel: logLevel.NOTHING });
  });
  afterAll(async () => broker?.stop());

  it('delivers an event produced during a 5 s fetch wait within a few hundred ms, and an idle fetch waits', async () => {
    const consumer = kafka.consumer({ groupId: 'long-poll', maxWaitTimeInMs: 5_000 });
    const producer = kafka.producer();
    const fetches: number[] = [];
    consumer.on(consumer.events.FETCH, () => fetches.push(Date.now()));
    const received: { value: string; at: number }[] = [];
    let joined!: () => void;
    const groupJoined = new Promise<void>((resolve) => (joined = resolve));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    try {
      await Promise.all([consumer.connect(), producer.connect()]);
      await consumer.subscribe({ topic: 'long-poll', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push({ value: String(message.value), at: Date.now() }) });
      await groupJoined;
      // Idle: a fetch that finds nothing is held, so few fetches happen in a second.
      const idleFrom = Date.now();
      await new Promise((r) => setTimeout(r, 1_500));
      const idleFetches = fetches.filter((at) => at >= idleFrom).length;
      expect(idleFetches).toBeLessThanOrEqual(1);

      const latencies: number[] = [];
      for (let i = 0; i < 3; i++) {
        const sentAt = Date.now();
        await producer.send({ topic: 'long-poll', acks: -1, messages: [{ key: String(i), value: `event ${i}` }] });
        while (!received.some((r) => r.value === `event ${i}`)) {
          if (Date.now() - sentAt > 10_000) throw new Error(`event ${i} not delivered`);
          await new Promise((r) => setTimeout(r, 5));
        }
        latencies.push(received.find((r) => r.value === `event ${i}`)!.at - sentAt);
        await new Promise((r) => setTimeout(r, 300));
      }
      // Without the long poll each waits out the rest of the 5 s fetch wait.
      expect(Math.max(...latencies)).toBeLessThan(500);
    } finally {
      await Promise.all([consumer.disconnect(), producer.disconnect()]);
    }
  }, 60_000);
});
