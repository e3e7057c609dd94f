import { createTestDatabase, query } from '@finder/testing/database';
import { startKafkaMock, until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { MikroORM } from '@mikro-orm/postgresql';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvents, type EventOf } from '../src/kafka/events.ts';
import { createEventProducer, createKafka, type EventProducer } from '../src/kafka/producer.ts';
import { createLogger } from '../src/config/logger.ts';
import { singleRedis } from '../src/config/redis.ts';
import { reject, type Outcome } from '../src/write/outcomes.ts';
import { processedEventsSql, type ApplyContext, type ApplyResult } from '../src/write/batch-applier.ts';
import { createPersister } from '../src/write/persister.ts';
import type { Worker } from '../src/kafka/worker.ts';
import { createPubSub, type PubSub } from '../src/realtime/pubsub.ts';
import { createWriter } from '../src/write/write-path.ts';

const env = stackEnv();
const logger = createLogger('write-path-test', 'silent');
const schema = 'write_path_test';
const notes = defineEvents('write-path-test.events', {
  'note.added': z.object({ text: z.string() }),
});

async function applyNote(ctx: ApplyContext, event: EventOf<typeof notes.schemas>): Promise<ApplyResult> {
  if (event.data.text.startsWith('refuse')) return reject('BAD_USER_INPUT' as never, `refused ${event.data.text}`);
  await ctx.em.execute(`insert into ${schema}.notes (id, text) values (?, ?)`, [event.id, event.data.text]);
  return { result: { text: event.data.text } };
}

describe('writers wait for outcomes on their own reply channel', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let broker: Awaited<ReturnType<typeof startKafkaMock>>;
  let orm: MikroORM;
  let kafka: Kafka;
  let producer: EventProducer;
  const pubsubs: PubSub[] = [];
  let persister: Worker;
  const monitor = new Redis(env.REDIS_URL!);
  const replies = new Map<string, Outcome[][]>();

  beforeAll(async () => {
    db = await createTestDatabase(env.DATABASE_URL!, 'write_path');
    broker = await startKafkaMock(env.KAFKA_MOCK_BIN!, [`${notes.topic}:2`, `${notes.dlqTopic}:1`]);
    for (const sql of [`create schema ${schema}`, ...processedEventsSql(schema), `create table ${schema}.notes (id uuid primary key, text text not null)`]) {
      await query(db.url, sql);
    }
    orm = await MikroORM.init({ clientUrl: db.url, entities: [], discovery: { warnWhenNoEntities: false }, allowGlobalContext: false });
    kafka = createKafka({ brokers: [broker.brokers], clientId: 'write-path-test', logger });
    producer = createEventProducer(kafka, { idempotent: false });
    await producer.connect();
    const pubsub = createPubSub({ redis: singleRedis(env.REDIS_URL!), logger });
    pubsubs.push(pubsub);
    monitor.on('pmessage', (_pattern, channel: string, message: string) => replies.set(channel, [...(replies.get(channel) ?? []), JSON.parse(message)]));
    await monitor.psubscribe('outcomes:*');
    persister = createPersister({ name: 'write-path-test-persister', kafka, groupId: 'write-path-test', catalog: notes, orm, schema, pubsub, producer, logger, apply: applyNote });
    await persister.start();
  });
  afterAll(async () => {
    await persister?.stop();
    await Promise.all(pubsubs.map((p) => p.close()));
    monitor.disconnect();
    await producer?.disconnect();
    await orm?.close();
    await broker?.stop();
    await db?.drop();
  });

  const writer = () => {
    const pubsub = createPubSub({ redis: singleRedis(env.REDIS_URL!), logger });
    pubsubs.push(pubsub);
    return createWriter({ producer, pubsub, timeoutMs: 60_000, logger });
  };
  // Other test files share this Redis, and their writers' reply channels match the monitor's
  // pattern too: only replies carrying this test's events count.
  const ours = new Set<string>();
  const note = (text: string, aggregateId = text) => {
    const event = notes.create('note.added', { aggregateId, actorId: null, data: { text } });
    ours.add(event.id);
    return event;
  };
  const ourReplies = () => [...replies].filter(([, messages]) => messages.flat().some((o) => ours.has(o.eventId)));
  const ourReplyCount = () => ourReplies().flatMap(([, messages]) => messages.flat()).length;

  it('answers each of two writers its own outcomes, rejections included, and publishes nothing for events nobody waits for', async () => {
    const [a, b] = [writer(), writer()];
    const texts = (who: string) => Array.from({ length: 30 }, (_, i) => (i % 10 === 9 ? `refuse ${who}${i}` : `${who}${i}`));
    const settle = (w: ReturnType<typeof writer>, list: string[]) =>
      Promise.all(list.map((text) => w.submit(notes.topic, note(text)).then((o) => o.result?.text, (err: Error) => err.message)));
    const [fromA, fromB] = await Promise.all([settle(a, texts('a')), settle(b, texts('b'))]);
    expect(fromA).toEqual(texts('a').map((t) => (t.startsWith('refuse') ? `refused ${t}` : t)));
    expect(fromB).toEqual(texts('b').map((t) => (t.startsWith('refuse') ? `refused ${t}` : t)));

    // One channel per writer, each message a batch of that writer's outcomes only.
    await until(async () => ourReplyCount() === 60, 10_000, 'every reply seen by the monitor');
    expect(ourReplies()).toHaveLength(2);
    for (const [, messages] of ourReplies()) {
      const texts = messages.flat().map((o) => (o.status === 'applied' ? o.result!.text : o.message) as string);
      expect(new Set(texts.map((t) => /([ab])\d+$/.exec(t)![1])).size).toBe(1);
      expect(texts).toHaveLength(30);
    }

    // Produced without a reply channel (a seed, a follow-up): applied, recorded, announced to nobody.
    const before = ourReplyCount();
    await producer.send(notes.topic, note('unattended'));
    await until(async () => (await query(db.url, `select 1 from ${schema}.notes where text = 'unattended'`)).length === 1, 30_000, 'the unattended note');
    await a.submit(notes.topic, note('after'));
    await until(async () => ourReplyCount() > before, 10_000, 'the reply to the attended note');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ourReplyCount()).toBe(before + 1);
  });
});
