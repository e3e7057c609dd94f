import type { Kafka } from 'kafkajs';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { DEFAULT_FETCH_WAIT, type FetchWait } from '../kafka/group-consumer.ts';
import type { DataSchemas, EventCatalog } from '../kafka/events.ts';
import type { EventProducer } from '../kafka/producer.ts';
import { createPartitionLoop } from '../kafka/partition-loop.ts';
import type { Worker } from '../kafka/worker.ts';
import type { Logger } from '../config/logger.ts';
import type { PubSub } from '../realtime/pubsub.ts';
import { stampPublishedAt } from '../realtime/published-at.ts';
import { createBatchApplier, type HandlerChoice } from './batch-applier.ts';
import { createGroupCommit } from './group-commit.ts';
import { createOutboxRelay } from './outbox.ts';
import type { Outcome } from './outcomes.ts';

/**
 * Partition batches this large run in transactions of their own, side by side, as before group
 * commit: a backlog's batches gain nothing from sharing one, and lose the overlap of one
 * partition's apply with another's round trips (backlog drain, bench/RESULTS.md write-path).
 */
const GROUP_COMMIT_SOLO_FROM = 100;

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
  /** How long fetches wait at the broker (`persisterMs` is this persister's; 1 s by default). */
  fetchWait?: FetchWait;
  /** How long a batch waits for its Redis publications before committing without them (2 s). */
  publishWaitMs?: number;
  /**
   * Set when handlers emit follow-up events (the schema then needs the outbox table): the
   * persister produces them after each commit and relays leftovers on start and every `intervalMs`.
   */
  outbox?: { intervalMs?: number; minAgeMs?: number };
}

/**
 * The single writer of a subgraph's state (docs/architecture.md#write-path): applies each
 * partition batch in one transaction (batch-applier.ts; batches of partitions handed over together
 * share it, group-commit.ts), skips events already applied, publishes
 * outcomes after commit, and only then commits the Kafka offsets (partition-loop.ts). A crash
 * anywhere replays the batch, which the event ids make harmless.
 */
export function createPersister<C extends DataSchemas>(options: PersisterOptions<C>): Worker {
  const { orm, schema, pubsub, producer } = options;
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

  const batchSize = new Histogram({
    name: 'persister_batch_events',
    help: 'Events per transaction applied (the partition batches it carried together)',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers,
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

  const loop = createPartitionLoop<C>({
    name: options.name,
    kafka: options.kafka,
    groupId: options.groupId,
    catalog: options.catalog,
    producer,
    logger: log,
    maxWaitTimeInMs: (options.fetchWait ?? DEFAULT_FETCH_WAIT).persisterMs,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
    unit: 'batch',
    handle: (events) => applyTogether(events).then(() => undefined),
    onDeadLettered: (count) => applied.inc({ result: 'dead-lettered' }, count),
    onCommitted: (seconds) => batchSeconds.observe(seconds),
    ...(options.registry ? { registry: options.registry } : {}),
  });

  /**
   * Partition batches handed over together are applied in one transaction and announced in one
   * round of publications (group-commit.ts); the partitions then commit their offsets each.
   */
  const applyTogether = createGroupCommit(async (events: Parameters<typeof applyBatch>[0]) => {
    batchSize.observe(events.length);
    const { outcomes, publications, followUps } = await applyBatch(events);
    // Live publications say when they left, for the gateway's delivery lag (published-at.ts).
    const publishedAt = Date.now();
    const live = publications.map(([trigger, payload]): [string, unknown] => [trigger, stampPublishedAt(payload, publishedAt)]);
    await Promise.all([announce([...replies(events, outcomes), ...live]), outbox?.flush(followUps)]);
    return outcomes;
  }, { soloFrom: GROUP_COMMIT_SOLO_FROM });

  /**
   * Sends the batch's Redis publications, waiting for them a bounded time only. They are a
   * courtesy: writers waiting on an outcome answer WRITE_PENDING without it, and subscriptions
   * refill gaps from Postgres. A Redis that is down or a reply that never comes must not hold the
   * partition's commits (ioredis queues the commands and sends them once it is back).
   */
  async function announce(messages: [string, unknown][]): Promise<void> {
    if (messages.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const sent = Promise.all(messages.map(([trigger, payload]) => pubsub.publish(trigger, payload))).then(
      () => 'sent' as const,
      (err: unknown) => (log.warn({ err }, 'redis publications failed'), 'late' as const),
    );
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), publishWaitMs)));
    const result = await Promise.race([sent, late]).finally(() => clearTimeout(timer));
    if (result === 'late') {
      unannounced.inc(messages.length);
      log.warn({ publications: messages.length, waitedMs: publishWaitMs }, 'redis publications not confirmed; committing without them');
    }
  }

  return {
    async start() {
      await loop.start();
      outbox?.start();
      log.info({ topic: options.catalog.topic, groupId: options.groupId }, 'persister started');
    },
    async stop() {
      await loop.stop();
      await outbox?.stop();
    },
    readiness: () => loop.readiness(),
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
