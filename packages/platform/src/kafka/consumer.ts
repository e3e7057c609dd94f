import type { Kafka } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import type { DataSchemas, EventCatalog, EventOf } from './events.ts';
import type { EventProducer } from './producer.ts';
import { DEFAULT_FETCH_WAIT, type FetchWait } from './group-consumer.ts';
import type { Logger } from '../config/logger.ts';
import { createPartitionLoop } from './partition-loop.ts';
import type { Worker } from './worker.ts';

export interface ConsumerOptions<C extends DataSchemas> {
  name: string;
  kafka: Kafka;
  groupId: string;
  catalog: EventCatalog<C>;
  producer: EventProducer;
  logger: Logger;
  registry?: Registry;
  /** How long fetches wait at the broker (`consumerMs` is this consumer's; 3 s by default). */
  fetchWait?: FetchWait;
  /** Pure per-event side effect; must be idempotent (delivery is at least once). */
  handle(event: EventOf<C>): Promise<void>;
  /** Attempts before an event whose handler keeps failing (not transiently) is dead-lettered. */
  maxAttempts?: number;
}

/**
 * An at-least-once event consumer: handles each event in order, commits the offset after the
 * handler succeeded, dead-letters poison and persistently failing events and keeps going
 * (partition-loop.ts). A handler that throws `RetryLater` is retried, never dead-lettered.
 */
export function createConsumer<C extends DataSchemas>(options: ConsumerOptions<C>): Worker {
  const log = options.logger.child({ component: options.name });
  // Labelled by consumer: several consumers in one process share the one metric.
  const handled =
    (options.registry?.getSingleMetric('consumer_events_total') as Counter<'consumer' | 'result'> | undefined) ??
    new Counter({
      name: 'consumer_events_total',
      help: 'Events handled by this consumer, by result',
      labelNames: ['consumer', 'result'],
      registers: options.registry ? [options.registry] : [],
    });
  const loop = createPartitionLoop<C>({
    name: options.name,
    kafka: options.kafka,
    groupId: options.groupId,
    catalog: options.catalog,
    producer: options.producer,
    logger: log,
    maxWaitTimeInMs: (options.fetchWait ?? DEFAULT_FETCH_WAIT).consumerMs,
    partitionsConsumedConcurrently: 4,
    unit: 'event',
    maxAttempts: options.maxAttempts ?? 5,
    async handle([delivered]) {
      await options.handle(delivered!.event);
      handled.inc({ consumer: options.name, result: 'ok' });
    },
    onDeadLettered: (count) => handled.inc({ consumer: options.name, result: 'dead-lettered' }, count),
    ...(options.registry ? { registry: options.registry } : {}),
  });

  return {
    async start() {
      await loop.start();
      log.info({ topic: options.catalog.topic, groupId: options.groupId }, 'consumer started');
    },
    stop: () => loop.stop(),
    readiness: () => loop.readiness(),
  };
}
