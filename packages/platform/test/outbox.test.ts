import { createTestDatabase, query } from '@finder/testing/database';
import { startKafkaMock, until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Consumer, Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvents, type Envelope, type EventOf } from '../src/kafka/events.ts';
import { createEventProducer, createKafka, type EventProducer } from '../src/kafka/producer.ts';
import { createLogger } from '../src/config/logger.ts';
import { singleRedis } from '../src/config/redis.ts';
import { createOutboxRelay, outboxSql } from '../src/write/outbox.ts';
import { reject } from '../src/write/outcomes.ts';
import { createBatchApplier, processedEventsSql, type ApplyContext, type ApplyResult } from '../src/write/batch-applier.ts';
import { createPersister } from '../src/write/persister.ts';
import type { Worker } from '../src/kafka/worker.ts';
import { createPubSub, type PubSub } from '../src/realtime/pubsub.ts';
import { ErrorCode } from '../src/config/errors.ts';

const env = stackEnv();
const logger = createLogger('outbox-test', 'silent');
const schema = 'outbox_test';

/** Commands (a persister may reject them) and the facts it announces once one is applied. */
const commands = defineEvents('outbox-test.commands', {
  'order.place_requested': z.object({ orderId: z.uuid(), quantity: z.number().int() }),
});
const facts = defineEvents('outbox-test.facts', {
  'order.placed': z.object({ orderId: z.uuid(), quantity: z.number().int() }),
});
type Command = EventOf<typeof commands.schemas>;

async function applyOrder(ctx: ApplyContext, event: Command): Promise<ApplyResult> {
  const { orderId, quantity } = event.data;
  // Emitted before the verdict on purpose: a rejection must drop what its handler queued.
  ctx.emit(facts.topic, facts.derive('order.placed', event, { aggregateId: orderId, data: { orderId, quantity } }));
  if (quantity <= 0) return reject(ErrorCode.BAD_USER_INPUT, 'quantity must be positive', { field: 'quantity' });
  await ctx.em.execute(`insert into ${schema}.orders (id, quantity) values (?, ?)`, [orderId, quantity]);
  return { result: { orderId } };
}

const place = (quantity: number) => {
  const orderId = crypto.randomUUID();
  return commands.create('order.place_requested', { aggregateId: orderId, actorId: null, data: { orderId, quantity } });
};

/** Collects everything on the facts topic from the beginning. */
async function watchFacts(kafka: Kafka): Promise<{ seen: Envelope[]; consumer: Consumer }> {
  const seen: Envelope[] = [];
  const consumer = kafka.consumer({ groupId: `outbox-test-watch-${crypto.randomUUID()}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: facts.topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(facts.parse(message.value)) });
  return { seen, consumer };
}

describe('persister outbox: follow-up events of applied events only, surviving a crash', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let broker: Awaited<ReturnType<typeof startKafkaMock>>;
  let orm: MikroORM;
  let kafka: Kafka;
  let producer: EventProducer;
  let pubsub: PubSub;
  const cleanup: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(env.DATABASE_URL!, 'outbox');
    broker = await startKafkaMock(env.KAFKA_MOCK_BIN!, [`${commands.topic}:2`, `${commands.dlqTopic}:1`, `${facts.topic}:2`]);
    for (const sql of [
      `create schema ${schema}`,
      ...processedEventsSql(schema),
      ...outboxSql(schema),
      `create table ${schema}.orders (id uuid primary key, quantity int not null)`,
    ]) {
      await query(db.url, sql);
    }
    orm = await MikroORM.init({ clientUrl: db.url, entities: [], discovery: { warnWhenNoEntities: false }, allowGlobalContext: false });
    kafka = createKafka({ brokers: [broker.brokers], clientId: 'outbox-test', logger });
    producer = createEventProducer(kafka, { idempotent: false });
    await producer.connect();
    pubsub = createPubSub({ redis: singleRedis(env.REDIS_URL!), logger });
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await pubsub?.close();
    await producer?.disconnect();
    await orm?.close();
    await broker?.stop();
    await db?.drop();
  });

  const outboxRows = async () => Number((await query<{ n: string }>(db.url, `select count(*) as n from ${schema}.outbox`))[0]!.n);

  it('produces the follow-up of an applied event once, and none for a rejected one', async () => {
    const watch = await watchFacts(kafka);
    cleanup.push(() => watch.consumer.disconnect());
    const persister: Worker = createPersister({
      name: 'outbox-test-persister',
      kafka,
      groupId: 'outbox-test-persister',
      catalog: commands,
      orm,
      schema,
      pubsub,
      producer,
      logger,
      apply: applyOrder,
      outbox: { intervalMs: 200 },
    });
    cleanup.push(() => persister.stop());
    await persister.start();

    const accepted = place(3);
    const rejected = place(0);
    for (const e of [accepted, rejected]) await producer.send(commands.topic, e);
    // The same command delivered again (a producer retry) is skipped: still one fact.
    await producer.send(commands.topic, accepted);
    await until(async () => (await query(db.url, `select 1 from ${schema}.processed_events`)).length === 2, 30_000, 'both commands handled');
    await until(async () => watch.seen.length >= 1, 30_000, 'the follow-up event');
    await until(async () => (await outboxRows()) === 0, 30_000, 'the outbox emptied after producing');
    // Another command applied after ours: once its fact arrives, ours can no longer be followed by a duplicate.
    const later = place(1);
    await producer.send(commands.topic, later);
    await until(async () => watch.seen.some((e) => e.aggregateId === later.data.orderId), 30_000, 'the later follow-up');

    const ours = watch.seen.filter((e) => e.aggregateId !== later.data.orderId);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ type: 'order.placed', aggregateId: accepted.data.orderId, data: { orderId: accepted.data.orderId, quantity: 3 } });
    expect(ours[0]!.id).toBe(facts.derive('order.placed', accepted, { aggregateId: accepted.data.orderId, data: accepted.data }).id);
    expect(watch.seen.some((e) => e.aggregateId === rejected.data.orderId)).toBe(false);
    const outcomes = await query<{ event_id: string; status: string }>(db.url, `select event_id, outcome->>'status' as status from ${schema}.processed_events`);
    expect(Object.fromEntries(outcomes.map((o) => [o.event_id, o.status]))).toMatchObject({ [accepted.id]: 'applied', [rejected.id]: 'rejected' });
    // Its relay would otherwise go on taking the later tests' rows.
    await persister.stop();
  });

  it('re-produces a follow-up left in the outbox by a crash between commit and produce', async () => {
    // Apply and commit without the produce step: exactly the state a crash after commit leaves.
    const apply = createBatchApplier<typeof commands.schemas>({ orm, schema, logger, outbox: true, apply: applyOrder });
    const orphan = place(7);
    const batch = await apply([{ event: orphan }, { event: place(-1) }]);
    expect(batch.outcomes.map((o) => o.status)).toEqual(['applied', 'rejected']);
    expect(batch.followUps.map((f) => f.event.aggregateId)).toEqual([orphan.data.orderId]);
    expect(await outboxRows()).toBe(1);
    // Replaying the batch (the persister restarted before committing offsets) writes nothing new.
    expect((await apply([{ event: orphan }])).followUps).toEqual([]);
    expect(await outboxRows()).toBe(1);

    const watch = await watchFacts(kafka);
    cleanup.push(() => watch.consumer.disconnect());
    // A fresh process's relay finds the leftover on start.
    const relay = createOutboxRelay({ orm, schema, producer, logger, intervalMs: 200 });
    relay.start();
    cleanup.push(() => relay.stop());
    await until(async () => watch.seen.find((e) => e.aggregateId === orphan.data.orderId), 30_000, 'the relayed follow-up');
    await until(async () => (await outboxRows()) === 0, 30_000, 'the outbox emptied by the relay');
    const relayed = watch.seen.filter((e) => e.aggregateId === orphan.data.orderId);
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!.id).toBe(facts.derive('order.placed', orphan, { aggregateId: orphan.data.orderId, data: orphan.data }).id);
    await relay.stop();
  });

  it('produces a follow-up once when the relay finds it while the persister is flushing it', async () => {
    // A batch whose transaction ran long leaves rows the relay already counts as old at commit
    // (created_at is the transaction's start): the relay and the flush go for the same rows.
    const apply = createBatchApplier<typeof commands.schemas>({ orm, schema, logger, outbox: true, apply: applyOrder });
    const { followUps } = await apply([{ event: place(5) }, { event: place(6) }]);
    await query(db.url, `update ${schema}.outbox set created_at = now() - interval '1 hour'`);
    // The earlier tests stopped their relays: only this one's passes (and its flush) produce.
    const registry = new Registry();
    const outbox = createOutboxRelay({ orm, schema, producer, logger, registry, intervalMs: 60_000 });
    const producedBy = async () =>
      Object.fromEntries((await registry.getSingleMetric('outbox_events_total')!.get()).values.map((v) => [v.labels.path, v.value]));

    for (let round = 0; round < 10; round++) {
      const again = round === 0 ? followUps : (await apply([{ event: place(round) }])).followUps;
      if (round > 0) await query(db.url, `update ${schema}.outbox set created_at = now() - interval '1 hour'`);
      await Promise.all([outbox.flush(again), outbox.relay(), outbox.relay()]);
    }
    // A flush that failed (it logs and leaves its rows) is the relay's to finish, as in production.
    await outbox.relay(0);
    const counts = await producedBy();
    // Two follow-ups in the first round, one in each of the nine others: eleven, by whichever path.
    expect((counts.flush ?? 0) + (counts.relay ?? 0)).toBe(11);
    expect(await outboxRows()).toBe(0);
  });

  it('deletes the rows of produced follow-ups later, many batches at once, and never relays them meanwhile', async () => {
    const apply = createBatchApplier<typeof commands.schemas>({ orm, schema, logger, outbox: true, apply: applyOrder });
    const registry = new Registry();
    // Deletion only when asked (a relay pass or stop), to see the rows wait for it.
    const outbox = createOutboxRelay({ orm, schema, producer, logger, registry, intervalMs: 60_000, deleteAfterMs: 60_000 });
    const producedBy = async () =>
      Object.fromEntries((await registry.getSingleMetric('outbox_events_total')!.get()).values.map((v) => [v.labels.path, v.value]));
    for (let i = 1; i <= 20; i++) await outbox.flush((await apply([{ event: place(i) }])).followUps);
    expect(await outboxRows()).toBe(20);
    // Old enough for any relay, but this process produced them: its pass deletes them and relays none.
    await query(db.url, `update ${schema}.outbox set created_at = now() - interval '1 hour'`);
    expect(await outbox.relay(0)).toBe(0);
    expect(await outboxRows()).toBe(0);
    expect(await producedBy()).toEqual({ flush: 20 });

    // By default the rows go a moment after their flush, without a relay pass.
    const soon = createOutboxRelay({ orm, schema, producer, logger, intervalMs: 60_000 });
    await soon.flush((await apply([{ event: place(21) }])).followUps);
    await until(async () => (await outboxRows()) === 0, 5_000, 'the produced row deleted');
    await Promise.all([outbox.stop(), soon.stop()]);
  });

  it('refuses a follow-up from a persister without an outbox, rejecting the event instead of losing it silently', async () => {
    const apply = createBatchApplier<typeof commands.schemas>({ orm, schema, logger, apply: applyOrder });
    const event = place(2);
    const { outcomes, followUps } = await apply([{ event }]);
    expect(outcomes[0]).toMatchObject({ status: 'rejected', code: 'INTERNAL_SERVER_ERROR' });
    expect(followUps).toEqual([]);
    expect(await query(db.url, `select 1 from ${schema}.orders where id = $1`, [event.data.orderId])).toEqual([]);
  });
});
