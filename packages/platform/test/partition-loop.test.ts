import { startKafkaMock, until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import type { Consumer, Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvents, type EventOf } from '../src/kafka/events.ts';
import { createPartitionLoop, RetryLater, type Delivered, type PartitionLoopOptions } from '../src/kafka/partition-loop.ts';
import { createEventProducer, createKafka, type EventProducer } from '../src/kafka/producer.ts';
import type { Worker } from '../src/kafka/worker.ts';
import { createLogger } from '../src/config/logger.ts';

const env = stackEnv();
const logger = createLogger('partition-loop-test', 'silent');
const schemas = { 'note.added': z.object({ text: z.string() }) };
/** One topic (of one partition) per test, so each reads only its own offsets. */
const events = defineEvents('partition-loop-test.events', schemas);
const batches = defineEvents('partition-loop-test.batches', schemas);
type Catalog = typeof events;
type Note = EventOf<typeof schemas>;

const note = (text: string) => events.create('note.added', { aggregateId: 'one-partition', actorId: null, data: { text } });

interface DeadLetter {
  value: string;
  headers: Record<string, string>;
}

describe('the partition loop shared by consumers and persisters', () => {
  let broker: Awaited<ReturnType<typeof startKafkaMock>>;
  let kafka: Kafka;
  let producer: EventProducer;
  let dlqWatch: Consumer;
  const deadLetters: DeadLetter[] = [];
  const running: Worker[] = [];

  beforeAll(async () => {
    broker = await startKafkaMock(env.KAFKA_MOCK_BIN!, [`${events.topic}:1`, `${events.dlqTopic}:1`, `${batches.topic}:1`, `${batches.dlqTopic}:1`]);
    kafka = createKafka({ brokers: [broker.brokers], clientId: 'partition-loop-test', logger });
    producer = createEventProducer(kafka, { idempotent: false });
    await producer.connect();
    dlqWatch = kafka.consumer({ groupId: 'partition-loop-test-dlq', maxWaitTimeInMs: 50 });
    await dlqWatch.connect();
    await dlqWatch.subscribe({ topics: [events.dlqTopic, batches.dlqTopic], fromBeginning: true });
    await dlqWatch.run({
      eachMessage: async ({ message }) =>
        void deadLetters.push({
          value: message.value?.toString() ?? '',
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        }),
    });
  });
  afterEach(async () => {
    for (const worker of running.splice(0)) await worker.stop();
  });
  afterAll(async () => {
    await dlqWatch?.disconnect();
    await producer?.disconnect();
    await broker?.stop();
  });

  function start(
    catalog: Catalog,
    options: Pick<PartitionLoopOptions<typeof schemas>, 'unit' | 'handle' | 'maxAttempts'> & { groupId: string; deadLettered?: number[] },
  ) {
    const loop = createPartitionLoop({
      name: options.groupId,
      kafka,
      groupId: options.groupId,
      catalog,
      producer,
      logger,
      maxWaitTimeInMs: 50,
      partitionsConsumedConcurrently: 1,
      unit: options.unit,
      handle: options.handle,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      onDeadLettered: (count) => options.deadLettered?.push(count),
    });
    running.push(loop);
    return loop.start();
  }

  const send = (catalog: Catalog, ...values: (Note | string)[]) =>
    producer.sendRaw(
      catalog.topic,
      values.map((value) => ({ key: 'one-partition', value: typeof value === 'string' ? value : JSON.stringify(value) })),
    );
  const deadLettersFrom = (consumer: string) => deadLetters.filter((d) => d.headers['dlq-consumer'] === consumer);

  it('handles events one by one: poison and persistently failing ones go to the DLQ with their source, RetryLater never does, offsets are committed', async () => {
    const groupId = 'per-event';
    const handled: string[] = [];
    const attempts = new Map<string, number>();
    const deadLettered: number[] = [];
    const handle = async ([delivered]: Delivered<typeof schemas>[]) => {
      const { text } = delivered!.event.data;
      const attempt = (attempts.get(text) ?? 0) + 1;
      attempts.set(text, attempt);
      if (text === 'broken') throw new Error('cannot handle this one');
      if (text === 'not yet' && attempt < 4) throw new RetryLater('not applied yet');
      handled.push(text);
    };
    const broken = note('broken');
    // Offsets 0..3 of the topic's one partition.
    await send(events, note('first'), 'not json', broken, note('not yet'));
    await start(events, { groupId, unit: 'event', handle, maxAttempts: 2, deadLettered });

    await until(async () => handled.length === 2 && deadLettersFrom(groupId).length === 2, 60_000, 'both handled and both dead-lettered');
    expect(handled).toEqual(['first', 'not yet']);
    // RetryLater is retried beyond maxAttempts; a plain failure is dead-lettered after it.
    expect(attempts.get('not yet')).toBe(4);
    expect(attempts.get('broken')).toBe(2);
    expect(deadLettered).toEqual([1, 1]);
    expect(deadLettersFrom(groupId)).toEqual([
      { value: 'not json', headers: { 'dlq-reason': 'message is not JSON', 'dlq-source': `${events.topic}/0/1`, 'dlq-consumer': groupId } },
      {
        value: JSON.stringify(broken),
        headers: { 'dlq-reason': 'handler failed 2 times: cannot handle this one', 'dlq-source': `${events.topic}/0/2`, 'dlq-consumer': groupId },
      },
    ]);

    // Everything was committed: the group's next member sees only what comes after.
    for (const worker of running.splice(0)) await worker.stop();
    handled.length = 0;
    await start(events, { groupId, unit: 'event', handle, maxAttempts: 2 });
    await send(events, note('later'));
    await until(async () => handled.length > 0, 60_000, 'the next event');
    expect(handled).toEqual(['later']);
  });

  it('hands a persister the whole batch, dead-letters poison before it and retries a failing batch until it is handled', async () => {
    const groupId = 'per-batch';
    const calls: string[][] = [];
    const deadLettered: number[] = [];
    let failures = 2;
    const handle = async (delivered: Delivered<typeof schemas>[]) => {
      calls.push(delivered.map(({ event }) => event.data.text));
      // A batch is never dead-lettered, however often it fails (it is retried until it applies).
      if (failures-- > 0) throw new Error('database says no');
    };
    await send(batches, note('a'), '{"id":"not an envelope"}', note('b'), note('c'));
    await start(batches, { groupId, unit: 'batch', handle, deadLettered });

    await until(async () => calls.length === 3, 60_000, 'the batch to be handled after two failures');
    expect(calls).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
    await until(async () => deadLettersFrom(groupId).length === 1, 30_000, 'the poison event dead-lettered');
    expect(deadLettered).toEqual([1]);
    expect(deadLettersFrom(groupId)[0]).toMatchObject({
      value: '{"id":"not an envelope"}',
      headers: { 'dlq-source': `${batches.topic}/0/1`, 'dlq-consumer': groupId, 'dlq-reason': expect.stringMatching(/^invalid envelope/) },
    });

    for (const worker of running.splice(0)) await worker.stop();
    calls.length = 0;
    await start(batches, { groupId, unit: 'batch', handle });
    await send(batches, note('d'));
    await until(async () => calls.length > 0, 60_000, 'the next batch');
    expect(calls).toEqual([['d']]);
  });
});
