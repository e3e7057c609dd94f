import { startKafkaMock, until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupConsumer, type GroupConsumer } from '../src/kafka/group-consumer.ts';
import { createKafka } from '../src/kafka/producer.ts';
import { createLogger } from '../src/config/logger.ts';

const env = stackEnv();
const logger = createLogger('group-consumer-test', 'silent');
const topic = 'group-consumer-test.events';

describe('a group consumer that kafkajs gives up on', () => {
  let broker: Awaited<ReturnType<typeof startKafkaMock>>;
  let kafka: Kafka;
  let producer: Producer;
  let consumer: GroupConsumer | null = null;

  beforeAll(async () => {
    broker = await startKafkaMock(env.KAFKA_MOCK_BIN!, [`${topic}:1`]);
    kafka = createKafka({ brokers: [broker.brokers], clientId: 'group-consumer-test', logger });
    producer = kafka.producer();
    await producer.connect();
  });
  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
    await broker?.stop();
  });

  it('is replaced after a fatal error and redelivers what was not committed', async () => {
    const seen: string[] = [];
    const readiness: string[] = [];
    let failures = 1;
    consumer = createGroupConsumer({
      kafka,
      groupId: 'group-consumer-test',
      topic,
      logger,
      maxWaitTimeInMs: 50,
      partitionsConsumedConcurrently: 1,
      reviveAfterMs: 500,
      async eachBatch({ batch, resolveOffset }) {
        for (const message of batch.messages) {
          // One of the errors kafkajs stops for good on, as it does when no broker is reachable:
          // without the replacement this consumer would consume nothing more.
          if (failures-- > 0) throw Object.assign(new Error('given up'), { name: 'KafkaJSNotImplemented' });
          seen.push(message.value!.toString());
          resolveOffset(message.offset);
          await consumer!.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        }
      },
    });
    await consumer.start();
    const probe = setInterval(() => readiness.push(consumer!.readiness().detail), 10);
    await producer.send({ topic, messages: [{ value: 'first' }, { value: 'second' }] });
    await until(async () => seen.length === 2, 60_000, 'both events after the replacement').finally(() => clearInterval(probe));
    expect(seen).toEqual(['first', 'second']);
    expect(readiness.some((detail) => detail.startsWith('consumer crashed: given up'))).toBe(true);
    await until(async () => consumer!.readiness().ready, 30_000, 'the replacement to report ready');
  });
});
