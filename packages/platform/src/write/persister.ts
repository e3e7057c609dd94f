import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { ErrorCode } from '../config/errors.ts';
import { createGroupConsumer, DEFAULT_FETCH_WAIT, type FetchWait } from '../kafka/group-consumer.ts';
import { keepingMembership, membershipLost } from '../kafka/group-membership.ts';
import { PoisonEventError, type DataSchemas, type Envelope, type EventCatalog, type EventOf } from '../kafka/events.ts';
import type { EventProducer } from '../kafka/producer.ts';
import type { Logger } from '../config/logger.ts';
import { createOutboxRelay, writeOutbox, type FollowUp } from './outbox.ts';
import { Rejection, type Outcome } from './outcomes.ts';
import type { PubSub } from '../realtime/pubsub.ts';
import { query } from '../data/sql.ts';
import { isTransient, sleep } from '../kafka/transient.ts';

/** What an apply handler can touch: the batch's transaction, and publications sent after commit. */
export interface ApplyContext {
  em: EntityManager;
  /** Queues a Redis publication that goes out only after the batch's transaction commits. */
  publish(trigger: string, payload: unknown): void;
  /**
   * Queues a follow-up event for `topic` (build it with `catalog.derive` from the event being
   * applied): written to the outbox in the batch's transaction, so it exists exactly when the change
   * does, and produced after the commit (outbox.ts). A rejected event's follow-ups are dropped.
   */
  emit(topic: string, event: Envelope): void;
}

export type ApplyResult = { result?: Record<string, unknown> } | Rejection | void;
/** Applies one event; runs in its own savepoint, so a rejection may leave partial writes behind. */
export type ApplyHandler<C extends DataSchemas> = (ctx: ApplyContext, event: EventOf<C>) => Promise<ApplyResult>;
/**
 * Applies all fresh events of a batch at once, in order, returning one result per event. It must
 * check before it writes: a rejected event may not leave writes behind.
 */
export type BulkApplyHandler<C extends DataSchemas> = (ctx: ApplyContext, events: EventOf<C>[]) => Promise<ApplyResult[]>;
export type HandlerChoice<C extends DataSchemas> =
  | { apply: ApplyHandler<C>; applyBulk?: undefined }
  | { applyBulk: BulkApplyHandler<C>; apply?: undefined };

export type PersisterOptions<C extends DataSchemas> = PersisterConfig<C> & HandlerChoice<C>;

interface PersisterConfig<C extends DataSchemas> {
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
  partitionsConsumedConcurrently?: number;
  /** How long fetches wait at the broker (`persisterMs` is this persister's; 50 ms by default). */
  fetchWait?: FetchWait;
  /** How long a batch waits for its Redis publications before committing without them (2 s). */
  publishWaitMs?: number;
  /**
   * Set when handlers emit follow-up events (the schema then needs the outbox table): the
   * persister produces them after each commit and relays leftovers on start and every `intervalMs`.
   */
  outbox?: { intervalMs?: number; minAgeMs?: number };
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
 * The single writer of a subgraph's state (docs/architecture.md#write-path): applies each partition batch in one
 * transaction, skips events already applied, publishes outcomes after commit, and only then
 * commits the Kafka offsets. A crash anywhere replays the batch, which the event ids make harmless.
 */
export function createPersister<C extends DataSchemas>(options: PersisterOptions<C>): Worker {
  const { kafka, catalog, orm, schema, pubsub, producer } = options;
  const log = options.logger.child({ component: options.name });
  const registers = options.registry ? [options.registry] : [];
  const applied = new Counter({
    name: 'persister_events_total',
    help: 'Events handled by the persister, by result',
    labelNames: ['result'],
    registers,
  });
  const unannounced = new Counter({
    name: 'persister_unannounced_total',
    help: 'Outcomes and publications not confirmed by Redis in time (writers answered WRITE_PENDING; subscribers refill from Postgres)',
    registers,
  });
  const publishWaitMs = options.publishWaitMs ?? 2_000;
  const batchSeconds = new Histogram({
    name: 'persister_batch_seconds',
    help: 'Time to apply and commit one batch',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const consumer = createGroupConsumer({
    kafka,
    groupId: options.groupId,
    topic: catalog.topic,
    logger: log,
    maxWaitTimeInMs: (options.fetchWait ?? DEFAULT_FETCH_WAIT).persisterMs,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
    eachBatch,
  });

  const outbox = options.outbox
    ? createOutboxRelay({ orm, schema, producer, logger: log, ...(options.registry ? { registry: options.registry } : {}), ...options.outbox })
    : null;
  const applyBatch = createBatchApplier<C>({
    orm,
    schema,
    outbox: outbox !== null,
    logger: log,
    onResult: (result) => applied.inc({ result }),
    ...(options.applyBulk ? { applyBulk: options.applyBulk } : { apply: options.apply! }),
  });

  async function deadLetter(messages: { message: KafkaMessage; reason: string }[], partition: number) {
    if (messages.length === 0) return;
    await producer.sendRaw(
      catalog.dlqTopic,
      messages.map(({ message, reason }) => ({
        key: message.key?.toString() ?? null,
        value: message.value,
        headers: { 'dlq-reason': reason, 'dlq-source': `${catalog.topic}/${partition}/${message.offset}`, 'dlq-consumer': options.name },
      })),
    );
    applied.inc({ result: 'dead-lettered' }, messages.length);
  }

  /**
   * Sends the batch's Redis publications, waiting for them a bounded time only. They are a
   * courtesy: writers waiting on an outcome answer WRITE_PENDING without it, and subscriptions
   * refill gaps from Postgres. A Redis that is down or a reply that never comes must not hold the
   * partition's commits (ioredis queues the commands and sends them once it is back).
   */
  async function announce(messages: [string, unknown][], partition: number): Promise<void> {
    if (messages.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const sent = Promise.all(messages.map(([trigger, payload]) => pubsub.publish(trigger, payload))).then(
      () => 'sent' as const,
      (err: unknown) => (log.warn({ err, partition }, 'redis publications failed'), 'late' as const),
    );
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), publishWaitMs)));
    const result = await Promise.race([sent, late]).finally(() => clearTimeout(timer));
    if (result === 'late') {
      unannounced.inc(messages.length);
      log.warn({ partition, publications: messages.length, waitedMs: publishWaitMs }, 'redis publications not confirmed; committing without them');
    }
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
          await keepingMembership(async () => {
            const { outcomes, publications, followUps } = await applyBatch(parsed);
            await Promise.all([
              announce([...replies(parsed, outcomes), ...publications], batch.partition),
              outbox?.flush(followUps),
            ]);
          }, heartbeat);
        }
        const last = batch.messages[batch.messages.length - 1]!;
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
        ]);
        resolveOffset(last.offset);
        stop();
        return;
      } catch (err) {
        // Expelled from the group (the commit says so): kafkajs must rejoin; the batch was
        // applied idempotently, so its redelivery changes nothing.
        const lost = membershipLost(err);
        if (lost) throw lost;
        const delay = Math.min(100 * 2 ** attempt, 5_000);
        log.warn({ err, attempt, delay, partition: batch.partition }, 'batch failed; retrying');
        await sleep(delay);
        await heartbeat().catch(() => undefined);
      }
    }
  }

  return {
    async start() {
      await consumer.start();
      outbox?.start();
      log.info({ topic: catalog.topic, groupId: options.groupId }, 'persister started');
    },
    async stop() {
      await consumer.stop();
      await outbox?.stop();
    },
    readiness: () => consumer.readiness(),
  };
}


/** One publication per reply channel: the outcomes of the batch's events that name it, in order. */
function replies(parsed: { event: { replyTo?: string | undefined } }[], outcomes: Outcome[]): [string, Outcome[]][] {
  const byChannel = new Map<string, Outcome[]>();
  parsed.forEach(({ event }, i) => {
    if (!event.replyTo) return;
    const list = byChannel.get(event.replyTo);
    if (list) list.push(outcomes[i]!);
    else byChannel.set(event.replyTo, [outcomes[i]!]);
  });
  return [...byChannel];
}

export interface AppliedBatch {
  outcomes: Outcome[];
  /** Redis publications queued by handlers, to send after the transaction committed. */
  publications: [string, unknown][];
  /** Follow-up events written to the outbox in the transaction, to produce after it committed. */
  followUps: FollowUp[];
}

/**
 * Applies events in one transaction, idempotently: an event id already recorded is skipped (its
 * stored outcome is returned again) and a repeated idempotency key answers with the first outcome.
 * Per-event handlers run each event in a savepoint, so a rejection undoes only its own writes.
 * Bulk handlers see every fresh event at once (multi-row writes); should one throw, the batch
 * falls back to one event per savepoint so a single bad event cannot block the partition.
 */
export function createBatchApplier<C extends DataSchemas>(deps: {
  orm: MikroORM;
  schema: string;
  logger: Logger;
  /** Whether the schema has an outbox table; without one a handler's `emit` is an error. */
  outbox?: boolean;
  onResult?: (result: string) => void;
} & HandlerChoice<C>) {
  const { orm, schema, logger } = deps;
  const onResult = deps.onResult ?? (() => undefined);
  const table = `"${schema}".processed_events`;
  const bulk: BulkApplyHandler<C> =
    deps.applyBulk ?? (async (ctx, events) => [await deps.apply!(ctx, events[0]!)]);
  const savepointEach = !deps.applyBulk;

  return async function applyBatch(events: { event: EventOf<C> }[]): Promise<AppliedBatch> {
    const publications: [string, unknown][] = [];
    const followUps: FollowUp[] = [];
    const outcomes = await orm.em.fork().transactional(async (em) => {
      const known = await knownOutcomes(em, events.map((e) => e.event));
      const results = new Map<string, Outcome>();
      const records: { event: EventOf<C>; key: string | null; outcome: Outcome }[] = [];
      const fresh: EventOf<C>[] = [];
      const replays: { event: EventOf<C>; key: string }[] = [];
      const claimed = new Set<string>();

      const seen = new Set<string>();
      for (const { event } of events) {
        const previous = known.byId.get(event.id);
        if (previous) {
          onResult('duplicate');
          results.set(event.id, previous);
          continue;
        }
        // The same event twice in one batch (a producer retry): applied once, answered twice.
        if (seen.has(event.id)) {
          onResult('duplicate');
          continue;
        }
        seen.add(event.id);
        const key = scopedKey(event);
        if (key && (known.byKey.has(key) || claimed.has(key))) {
          // A retry of a write already made: answer with the first outcome, apply nothing.
          replays.push({ event, key });
          continue;
        }
        if (key) claimed.add(key);
        fresh.push(event);
      }

      const applied = await applyFresh(em, fresh);
      fresh.forEach((event, i) => {
        const { outcome, pending, emitted } = applied[i]!;
        const key = scopedKey(event);
        if (key) known.byKey.set(key, outcome);
        records.push({ event, key, outcome });
        publications.push(...pending);
        followUps.push(...emitted);
        results.set(event.id, outcome);
        onResult(outcome.status);
      });
      for (const { event, key } of replays) {
        const first = known.byKey.get(key)!;
        const outcome = { ...first, eventId: event.id, replayOf: first.replayOf ?? first.eventId };
        records.push({ event, key: null, outcome });
        results.set(event.id, outcome);
        onResult('idempotent-replay');
      }
      await recordOutcomes(em, records);
      await writeOutbox(em, schema, followUps);
      return events.map(({ event }) => results.get(event.id)!);
    });
    return { outcomes, publications, followUps };
  };

  /** The context of one handler call, collecting what it queues. */
  function context(em: EntityManager) {
    const pending: [string, unknown][] = [];
    const emitted: FollowUp[] = [];
    const ctx: ApplyContext = {
      em,
      publish: (trigger, payload) => pending.push([trigger, payload]),
      emit: (topic, event) => {
        if (!deps.outbox) throw new Error(`${schema} persister has no outbox: cannot emit ${event.type}`);
        emitted.push({ topic, event });
      },
    };
    return { ctx, pending, emitted };
  }

  type Applied = { outcome: Outcome; pending: [string, unknown][]; emitted: FollowUp[] };
  async function applyFresh(em: EntityManager, fresh: EventOf<C>[]): Promise<Applied[]> {
    if (fresh.length === 0) return [];
    if (!savepointEach) {
      const { ctx, pending, emitted } = context(em);
      await em.execute('savepoint apply_batch');
      try {
        const results = await bulk(ctx, fresh);
        await em.execute('release savepoint apply_batch');
        // The batch's publications and follow-ups go out once, with the first event's outcome slot
        // (a bulk handler emits only for the events it applied).
        return fresh.map((event, i) => ({ outcome: toOutcome(event, results[i]), pending: i === 0 ? pending : [], emitted: i === 0 ? emitted : [] }));
      } catch (err) {
        if (isTransient(err)) throw err;
        await em.execute('rollback to savepoint apply_batch');
        logger.warn({ err, events: fresh.length }, 'bulk apply failed; applying one event at a time');
      }
    }
    const out: Applied[] = [];
    for (const event of fresh) {
      const { ctx, pending, emitted } = context(em);
      await em.execute('savepoint apply_event');
      let outcome: Outcome;
      try {
        const [result] = await bulk(ctx, [event]);
        outcome = toOutcome(event, result);
        if (outcome.status === 'rejected') {
          await em.execute('rollback to savepoint apply_event');
          pending.length = 0;
          emitted.length = 0;
        }
      } catch (err) {
        if (isTransient(err)) throw err;
        await em.execute('rollback to savepoint apply_event');
        logger.error({ err, eventId: event.id, type: event.type }, 'event could not be applied; rejected');
        outcome = { status: 'rejected', eventId: event.id, code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'The write could not be applied' };
        pending.length = 0;
        emitted.length = 0;
      }
      await em.execute('release savepoint apply_event');
      out.push({ outcome, pending, emitted });
    }
    return out;
  }

  async function knownOutcomes(em: EntityManager, events: EventOf<C>[]) {
    const byId = new Map<string, Outcome>();
    const byKey = new Map<string, Outcome>();
    for (const row of await query<{ event_id: string; outcome: Outcome }>(em, `select event_id, outcome from ${table} where event_id = any($1::uuid[])`, [
      events.map((e) => e.id),
    ])) {
      byId.set(row.event_id, row.outcome);
    }
    const keys = events.map(scopedKey).filter((k): k is string => k !== null);
    if (keys.length > 0) {
      for (const row of await query<{ idempotency_key: string; outcome: Outcome }>(
        em,
        `select idempotency_key, outcome from ${table} where idempotency_key = any($1::text[])`,
        [keys],
      )) {
        byKey.set(row.idempotency_key, row.outcome);
      }
    }
    return { byId, byKey };
  }

  async function recordOutcomes(em: EntityManager, records: { event: EventOf<C>; key: string | null; outcome: Outcome }[]) {
    if (records.length === 0) return;
    const rows = records.map(({ event, key, outcome }) => ({ event_id: event.id, event_type: event.type, idempotency_key: key, outcome }));
    await query(
      em,
      `insert into ${table} (event_id, event_type, idempotency_key, outcome)
       select event_id, event_type, idempotency_key, outcome from jsonb_to_recordset($1::jsonb)
         as r(event_id uuid, event_type text, idempotency_key text, outcome jsonb)`,
      [JSON.stringify(rows)],
    );
  }
}

function toOutcome(event: { id: string }, result: ApplyResult): Outcome {
  if (result instanceof Rejection) {
    return { status: 'rejected', eventId: event.id, code: result.code, message: result.message, ...(result.extensions ? { extensions: result.extensions } : {}) };
  }
  return { status: 'applied', eventId: event.id, ...(result?.result ? { result: result.result } : {}) };
}

/** Idempotency keys are scoped by actor and event type, so two users' keys never collide. */
function scopedKey(event: { idempotencyKey?: string; actorId: string | null; type: string }): string | null {
  return event.idempotencyKey ? `${event.actorId ?? 'anonymous'}:${event.type}:${event.idempotencyKey}` : null;
}
