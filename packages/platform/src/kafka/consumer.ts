import type { EachBatchPayload, Kafka } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { isRetryable } from '../config/errors.ts';
import { PoisonEventError, type DataSchemas, type EventCatalog, type EventOf } from './events.ts';
import type { EventProducer } from './producer.ts';
import { createGroupConsumer, DEFAULT_FETCH_WAIT, type FetchWait } from './group-consumer.ts';
import { keepingMembership, membershipLost } from './group-membership.ts';
import type { Logger } from '../config/logger.ts';
import type { Worker } from '../write/persister.ts';
import { isTransient, sleep } from './transient.ts';

/** Thrown by a handler that cannot act yet (e.g. the persister has not applied the event): retried, never dead-lettered. */
export class RetryLater extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RetryLater';
  }
}

export interface ConsumerOptions<C extends DataSchemas> {
  name: string;
  kafka: Kafka;
  groupId: string;
  catalog: EventCatalog<C>;
  producer: EventProducer;
  logger: Logger;
  registry?: Registry;
  /** How long fetches wait at the broker (`consumerMs` is this consumer's; 100 ms by default). */
  fetchWait?: FetchWait;
  /** Pure per-event side effect; must be idempotent (delivery is at least once). */
  handle(event: EventOf<C>): Promise<void>;
  /** Attempts before an event whose handler keeps failing (not transiently) is dead-lettered. */
  maxAttempts?: number;
}

/**
 * An at-least-once event consumer: handles each event in order, commits the offset after the
 * handler succeeded, dead-letters poison and persistently failing events and keeps going.
 */
export function createConsumer<C extends DataSchemas>(options: ConsumerOptions<C>): Worker {
  const { kafka, catalog, producer, handle } = options;
  const log = options.logger.child({ component: options.name });
  const maxAttempts = options.maxAttempts ?? 5;
  // Labelled by consumer: several consumers in one process share the one metric.
  const handled =
    (options.registry?.getSingleMetric('consumer_events_total') as Counter<'consumer' | 'result'> | undefined) ??
    new Counter({
      name: 'consumer_events_total',
      help: 'Events handled by this consumer, by result',
      labelNames: ['consumer', 'result'],
      registers: options.registry ? [options.registry] : [],
    });
  const consumer = createGroupConsumer({
    kafka,
    groupId: options.groupId,
    topic: catalog.topic,
    logger: log,
    maxWaitTimeInMs: (options.fetchWait ?? DEFAULT_FETCH_WAIT).consumerMs,
    partitionsConsumedConcurrently: 4,
    eachBatch,
  });

  async function eachBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload) {
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      let event: EventOf<C> | null = null;
      let deadReason: string | null = null;
      try {
        event = catalog.parse(message.value);
      } catch (err) {
        if (!(err instanceof PoisonEventError)) throw err;
        deadReason = err.message;
      }
      for (let attempt = 1; event && !deadReason; attempt++) {
        try {
          const current = event;
          await keepingMembership(() => handle(current), heartbeat);
          handled.inc({ consumer: options.name, result: 'ok' });
          break;
        } catch (err) {
          if (!isRunning() || isStale()) return;
          // Not yet applicable, the database/network is down, or a write it made is not confirmed
          // yet: retry until it works, never dead-letter (an outage longer than the attempts
          // would lose the event).
          const later = err instanceof RetryLater || isTransient(err) || isRetryable(err);
          if (!later && attempt >= maxAttempts) {
            deadReason = `handler failed ${attempt} times: ${(err as Error).message}`;
            break;
          }
          log[err instanceof RetryLater ? 'debug' : 'warn']({ err, eventId: event.id, attempt }, 'handler failed; retrying');
          await sleep(Math.min(100 * 2 ** Math.min(attempt, 6), 5_000));
          await heartbeat().catch(() => undefined);
        }
      }
      if (deadReason) {
        log.warn({ offset: message.offset, partition: batch.partition, reason: deadReason }, 'event dead-lettered');
        await producer.sendRaw(catalog.dlqTopic, [
          {
            key: message.key?.toString() ?? null,
            value: message.value,
            headers: { 'dlq-reason': deadReason, 'dlq-source': `${catalog.topic}/${batch.partition}/${message.offset}`, 'dlq-consumer': options.name },
          },
        ]);
        handled.inc({ consumer: options.name, result: 'dead-lettered' });
      }
      resolveOffset(message.offset);
      await consumer
        .commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(message.offset) + 1n).toString() }])
        .catch((err: unknown) => {
          throw membershipLost(err) ?? err;
        });
      await heartbeat();
    }
  }

  return {
    async start() {
      await consumer.start();
      log.info({ topic: catalog.topic, groupId: options.groupId }, 'consumer started');
    },
    stop: () => consumer.stop(),
    readiness: () => consumer.readiness(),
  };
}
