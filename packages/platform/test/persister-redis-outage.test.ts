import { createTestDatabase, query } from '@finder/testing/database';
import { freePort } from '@finder/testing/ports';
import { startKafkaMock, until } from '@finder/testing/processes';
import { privateRedis } from '@finder/testing/redis';
import { stackEnv } from '@finder/testing/stack';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvents, type EventOf } from '../src/kafka/events.ts';
import { createEventProducer, createKafka, type EventProducer } from '../src/kafka/producer.ts';
import { createLogger } from '../src/config/logger.ts';
import { singleRedis } from '../src/config/redis.ts';
import { processedEventsSql, type ApplyContext, type ApplyResult } from '../src/write/batch-applier.ts';
import { createPersister } from '../src/write/persister.ts';
import type { Worker } from '../src/kafka/worker.ts';
import { createPubSub, type PubSub } from '../src/realtime/pubsub.ts';

const env = stackEnv();
const logger = createLogger('persister-redis-outage-test', 'silent');
const schema = 'redis_outage_test';
const notes = defineEvents('redis-outage-test.events', {
  'note.added': z.object({ text: z.string() }),
});

async function applyNote(ctx: ApplyContext, event: EventOf<typeof notes.schemas>): Promise<ApplyResult> {
  await ctx.em.execute(`insert into ${schema}.notes (id, text) values (?, ?)`, [event.id, event.data.text]);
  ctx.publish(`note.added.${event.aggregateId}`, event.data);
  return {};
}

describe('a persister while Redis is down', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let broker: Awaited<ReturnType<typeof startKafkaMock>>;
  let redis: ReturnType<typeof privateRedis>;
  let orm: MikroORM;
  let kafka: Kafka;
  let producer: EventProducer;
  let pubsub: PubSub;
  let persister: Worker;
  const registry = new Registry();

  beforeAll(async () => {
    db = await createTestDatabase(env.DATABASE_URL!, 'redis_outage');
    broker = await startKafkaMock(env.KAFKA_MOCK_BIN!, [`${notes.topic}:1`, `${notes.dlqTopic}:1`]);
    redis = privateRedis(await freePort());
    await redis.start();
    for (const sql of [`create schema ${schema}`, ...processedEventsSql(schema), `create table ${schema}.notes (id uuid primary key, text text not null)`]) {
      await query(db.url, sql);
    }
    orm = await MikroORM.init({ clientUrl: db.url, entities: [], discovery: { warnWhenNoEntities: false }, allowGlobalContext: false });
    kafka = createKafka({ brokers: [broker.brokers], clientId: 'redis-outage-test', logger });
    producer = createEventProducer(kafka, { idempotent: false });
    await producer.connect();
    pubsub = createPubSub({ redis: singleRedis(redis.url), logger });
    persister = createPersister({
      name: 'redis-outage-test-persister',
      kafka,
      groupId: 'redis-outage-test-persister',
      catalog: notes,
      orm,
      schema,
      pubsub,
      producer,
      logger,
      registry,
      apply: applyNote,
      publishWaitMs: 500,
    });
    await persister.start();
  });
  afterAll(async () => {
    await persister?.stop();
    await pubsub?.close();
    await producer?.disconnect();
    await orm?.close();
    await redis?.stop();
    await broker?.stop();
    await db?.drop();
  });

  const stored = async () => (await query<{ text: string }>(db.url, `select text from ${schema}.notes order by text`)).map((r) => r.text);
  const note = (text: string) => notes.create('note.added', { aggregateId: 'one-partition', actorId: null, data: { text } });

  it('keeps applying and committing, and announces again once Redis is back', async () => {
    await producer.send(notes.topic, note('a: before'));
    await until(async () => (await stored()).length === 1, 30_000, 'the first note');

    await redis.stop();
    // Each batch's publications can no longer be sent; later batches of the partition must not
    // wait for them.
    for (const text of ['b: during', 'c: during', 'd: during']) {
      await producer.send(notes.topic, note(text));
      await until(async () => (await stored()).includes(text), 30_000, `"${text}" applied while Redis is down`);
    }
    // Each batch gives up on its publication publishWaitMs after its commit, so the last one is
    // counted a moment after its note is stored.
    const unannounced = async () => (await registry.getSingleMetric('persister_unannounced_total')!.get()).values[0]?.value ?? 0;
    await until(async () => (await unannounced()) >= 3, 10_000, 'three batches committed without their publications');

    await redis.start();
    const received: unknown[] = [];
    const listener = createPubSub({ redis: singleRedis(redis.url), logger });
    try {
      await listener.engine.subscribe('note.added.one-partition', (payload: unknown) => void received.push(payload));
      await producer.send(notes.topic, note('e: after'));
      // Publications queued while Redis was down may still be flushed on reconnect and arrive
      // first; subscribers order by cursor, so only the new note's arrival matters here.
      const isAfter = (payload: unknown) => (payload as { text?: string }).text === 'e: after';
      await until(async () => received.some(isAfter), 30_000, 'a publication after Redis came back');
    } finally {
      await listener.close();
    }
    expect(await stored()).toEqual(['a: before', 'b: during', 'c: during', 'd: during', 'e: after']);
  });
});
