import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { ErrorCode } from './errors.ts';
import { PoisonEventError, type DataSchemas, type EventCatalog, type EventOf } from './events.ts';
import type { EventProducer } from './kafka.ts';
import type { Logger } from './logger.ts';
import { Rejection, outcomeTrigger, type Outcome } from './outcomes.ts';
import type { PubSub } from './pubsub.ts';
import { isTransient, sleep } from './transient.ts';

/** What an apply handler can touch: the batch's transaction, and publications sent after commit. */
export interface ApplyContext {
  em: EntityManager;
  /** Queues a Redis publication that goes out only after the batch's transaction commits. */
  publish(trigger: string, payload: unknown): void;
}

export type ApplyResult = { result?: Record<string, unknown> } | Rejection | void;
export type ApplyHandler<C extends DataSchemas> = (
  ctx: ApplyContext,
  event: EventOf<C>,
) => Promise<ApplyResult>;

export interface PersisterOptions<C extends DataSchemas> {
  name: string;
  kafka: Kafka;
  groupId: string;
  catalog: EventCatalog<C>;
  orm: MikroORM;
  /** Database schema holding this subgraph's `processed_events` table. */
  schema: string;
  pubsub: PubSub;
  producer: EventProducer;
  logger: Logger;
  registry?: Registry;
  apply: ApplyHandler<C>;
  partitionsConsumedConcurrently?: number;
}

export interface Worker {
  start(): Promise<void>;
  stop(): Promise<void>;
  readiness(): { ready: boolean; detail: string };
}

/** SQL for the table that makes every persister idempotent; each subgraph's first migration runs it. */
export const processedEventsSql = (schema: string): string[] => [
  `create table if not exists "${schema}".processed_events (
     event_id uuid primary key,
     event_type text not null,
     idempotency_key text unique,
     outcome jsonb not null,
     applied_at timestamptz not null default now())`,
];

interface Parsed<C extends DataSchemas> {
  event: EventOf<C>;
  message: KafkaMessage;
}

/**
 * The single writer of a subgraph's state (ARCHITECTURE §3): applies each partition batch in one
 * transaction, skips events already applied, publishes outcomes after commit, and only then
 * commits the Kafka offsets. A crash anywhere replays the batch, which the event ids make harmless.
 */
export function createPersister<C extends DataSchemas>(options: PersisterOptions<C>): Worker {
  const { kafka, catalog, orm, schema, pubsub, producer, apply } = options;
  const log = options.logger.child({ component: options.name });
  const registers = options.registry ? [options.registry] : [];
  const applied = new Counter({
    name: 'persister_events_total',
    help: 'Events handled by the persister, by result',
    labelNames: ['result'],
    registers,
  });
  const batchSeconds = new Histogram({
    name: 'persister_batch_seconds',
    help: 'Time to apply and commit one batch',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 50,
    allowAutoTopicCreation: true,
  });
  let joined = false;
  let crashed: string | null = null;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
    crashed = null;
  });
  consumer.on(consumer.events.CRASH, (e) => {
    crashed = String(e.payload.error?.message ?? e.payload.error);
    joined = false;
  });
  consumer.on(consumer.events.STOP, () => (joined = false));

  const applyBatch = createBatchApplier({ orm, schema, apply, logger: log, onResult: (result) => applied.inc({ result }) });

  async function deadLetter(messages: { message: KafkaMessage; reason: string }[], partition: number) {
    if (messages.length === 0) return;
    await producer.sendRaw(
      catalog.dlqTopic,
      messages.map(({ message, reason }) => ({
        key: message.key?.toString() ?? null,
        value: message.value,
        headers: { 'dlq-reason': reason, 'dlq-source': `${catalog.topic}/${partition}/${message.offset}` },
      })),
    );
    applied.inc({ result: 'dead-lettered' }, messages.length);
  }

  async function eachBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload) {
    if (batch.messages.length === 0) return;
    const parsed: Parsed<C>[] = [];
    const poison: { message: KafkaMessage; reason: string }[] = [];
    for (const message of batch.messages) {
      try {
        parsed.push({ event: catalog.parse(message.value), message });
      } catch (err) {
        if (!(err instanceof PoisonEventError)) throw err;
        log.warn({ offset: message.offset, partition: batch.partition, reason: err.message }, 'poison event dead-lettered');
        poison.push({ message, reason: err.message });
      }
    }
    for (let attempt = 1; ; attempt++) {
      if (!isRunning() || isStale()) return;
      const stop = batchSeconds.startTimer();
      try {
        await deadLetter(poison, batch.partition);
        poison.length = 0;
        if (parsed.length > 0) {
          const { outcomes, publications } = await applyBatch(parsed);
          await Promise.all([
            ...outcomes.map((o) => pubsub.publish(outcomeTrigger(o.eventId), o)),
            ...publications.map(([trigger, payload]) => pubsub.publish(trigger, payload)),
          ]);
        }
        const last = batch.messages[batch.messages.length - 1]!;
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
        ]);
        resolveOffset(last.offset);
        stop();
        return;
      } catch (err) {
        const delay = Math.min(100 * 2 ** attempt, 5_000);
        log.warn({ err, attempt, delay, partition: batch.partition }, 'batch failed; retrying');
        await sleep(delay);
        await heartbeat().catch(() => undefined);
      }
    }
  }

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topic: catalog.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
        eachBatch,
      });
      log.info({ topic: catalog.topic, groupId: options.groupId }, 'persister started');
    },
    async stop() {
      await consumer.disconnect();
    },
    readiness() {
      if (crashed) return { ready: false, detail: `consumer crashed: ${crashed}` };
      return joined ? { ready: true, detail: 'consuming' } : { ready: false, detail: 'joining consumer group' };
    },
  };
}


export interface AppliedBatch {
  outcomes: Outcome[];
  /** Redis publications queued by handlers, to send after the transaction committed. */
  publications: [string, unknown][];
}

/**
 * Applies events in one transaction, idempotently: an event id already recorded is skipped (its
 * stored outcome is returned again), a repeated idempotency key answers with the first outcome,
 * and each event runs in a savepoint so a rejection undoes only its own writes.
 */
export function createBatchApplier<C extends DataSchemas>(deps: {
  orm: MikroORM;
  schema: string;
  apply: ApplyHandler<C>;
  logger: Logger;
  onResult?: (result: string) => void;
}) {
  const { orm, schema, apply, logger } = deps;
  const onResult = deps.onResult ?? (() => undefined);
  const table = `"${schema}".processed_events`;

  return async function applyBatch(events: { event: EventOf<C> }[]): Promise<AppliedBatch> {
    const publications: [string, unknown][] = [];
    const outcomes = await orm.em.fork().transactional(async (em) => {
      const ids = events.map((p) => p.event.id);
      const keys = events.map((p) => scopedKey(p.event)).filter((k): k is string => k !== null);
      const done = new Map<string, Outcome>();
      for (const row of await em.execute<{ event_id: string; outcome: Outcome }[]>(
        `select event_id, outcome from ${table} where event_id in (?)`,
        [ids],
      )) {
        done.set(row.event_id, row.outcome);
      }
      const byKey = new Map<string, Outcome>();
      if (keys.length > 0) {
        for (const row of await em.execute<{ idempotency_key: string; outcome: Outcome }[]>(
          `select idempotency_key, outcome from ${table} where idempotency_key in (?)`,
          [keys],
        )) {
          byKey.set(row.idempotency_key, row.outcome);
        }
      }

      const results: Outcome[] = [];
      for (const { event } of events) {
        const previous = done.get(event.id);
        if (previous) {
          onResult('duplicate');
          results.push(previous);
          continue;
        }
        const key = scopedKey(event);
        const original = key ? byKey.get(key) : undefined;
        if (original) {
          // A retry of a write already made: answer with the first outcome, apply nothing.
          const outcome = { ...original, eventId: event.id };
          await recordOutcome(em, event, null, outcome);
          onResult('idempotent-replay');
          results.push(outcome);
          continue;
        }
        const pending: [string, unknown][] = [];
        await em.execute('savepoint apply_event');
        let outcome: Outcome;
        try {
          const result = await apply({ em, publish: (trigger, payload) => pending.push([trigger, payload]) }, event);
          outcome =
            result instanceof Rejection
              ? { status: 'rejected', eventId: event.id, code: result.code, message: result.message, ...(result.extensions ? { extensions: result.extensions } : {}) }
              : { status: 'applied', eventId: event.id, ...(result?.result ? { result: result.result } : {}) };
          if (result instanceof Rejection) {
            await em.execute('rollback to savepoint apply_event');
            pending.length = 0;
          }
        } catch (err) {
          if (isTransient(err)) throw err;
          await em.execute('rollback to savepoint apply_event');
          logger.error({ err, eventId: event.id, type: event.type }, 'event could not be applied; rejected');
          outcome = { status: 'rejected', eventId: event.id, code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'The write could not be applied' };
          pending.length = 0;
        }
        await em.execute('release savepoint apply_event');
        await recordOutcome(em, event, key, outcome);
        if (key) byKey.set(key, outcome);
        publications.push(...pending);
        onResult(outcome.status);
        results.push(outcome);
      }
      return results;
    });
    return { outcomes, publications };
  };

  async function recordOutcome(em: EntityManager, event: EventOf<C>, key: string | null, outcome: Outcome) {
    await em.execute(
      `insert into ${table} (event_id, event_type, idempotency_key, outcome) values (?, ?, ?, ?::jsonb)`,
      [event.id, event.type, key, JSON.stringify(outcome)],
    );
  }

}

/** Idempotency keys are scoped by actor and event type, so two users' keys never collide. */
function scopedKey(event: { idempotencyKey?: string; actorId: string | null; type: string }): string | null {
  return event.idempotencyKey ? `${event.actorId ?? 'anonymous'}:${event.type}:${event.idempotencyKey}` : null;
}
