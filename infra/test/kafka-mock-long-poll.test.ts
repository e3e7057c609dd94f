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

/**
 * The local broker answers fetches from its own copy of each partition's log (long-poll.c), as Kafka
 * does from its log: many record batches per partition and fetch, offsets looked up by search; it
 * asks librdkafka's mock only for what it does not hold.
 */
describe('local broker: fetches answered from its own log', () => {
  const bin = process.env.KAFKA_MOCK_BIN;

  async function readAll(brokers: string, topic: string, until: (values: string[]) => boolean) {
    const kafka = new Kafka({ clientId: 'own-log-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `own-log-${topic}`, maxWaitTimeInMs: 200 });
    const values: string[] = [];
    const batchSizes: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          batchSizes.push(batch.messages.length);
          values.push(...batch.messages.map((m) => String(m.value)));
          if (until(values)) resolve();
        },
      });
    });
    await consumer.disconnect();
    return { values, batchSizes };
  }

  /** A broker of the test's own with one topic, where `values` were produced one acknowledged record batch each. */
  async function brokerWith(topic: string, values: string[]) {
    const broker = await startKafkaMock(bin!, [`${topic}:1`]);
    const producer = new Kafka({ clientId: 'own-log-test', brokers: broker.brokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (const value of values) await producer.send({ topic, acks: -1, messages: [{ value }] });
    await producer.disconnect();
    return broker;
  }

  it('hands a consumer many record batches per fetch, each event once and in order', async () => {
    const events = Array.from({ length: 300 }, (_, i) => `event ${i}`);
    const broker = await brokerWith('own-log', events);
    try {
      const { values, batchSizes } = await readAll(broker.brokers, 'own-log', (v) => v.length >= events.length);
      expect(values).toEqual(events);
      // librdkafka's mock alone answers a fetch with one record batch per partition: 300 fetches.
      expect(batchSizes.length).toBeLessThan(30);
    } finally {
      await broker.stop();
    }
  }, 60_000);

  it('asks the mock for offsets older than its own copy holds, then goes on from its copy', async () => {
    // 4.5 MB: the proxy keeps the newest 4 MB of a partition, the mock 5 MB.
    const padding = 'x'.repeat(10_000);
    const broker = await brokerWith('old-offsets', Array.from({ length: 450 }, (_, i) => `${i} ${padding}`));
    try {
      const { values } = await readAll(broker.brokers, 'old-offsets', (v) => v.length >= 450);
      expect(values.map((v) => Number(v.split(' ')[0]))).toEqual(Array.from({ length: 450 }, (_, i) => i));
    } finally {
      await broker.stop();
    }
  }, 60_000);
});
