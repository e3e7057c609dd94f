import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';
import { contextFrom, inSpan, linkTo, SpanKind, tracer } from '../telemetry/tracing.ts';
import { isRetryable } from '../config/errors.ts';
import type { Logger } from '../config/logger.ts';
import { PoisonEventError, type DataSchemas, type EventCatalog, type EventOf } from './events.ts';
import { createGroupConsumer } from './group-consumer.ts';
import { keepingMembership, membershipLost } from './group-membership.ts';
import type { EventProducer } from './producer.ts';
import { isTransient, sleep } from './transient.ts';
import type { Worker } from './worker.ts';

/** Thrown by a handler that cannot act yet (e.g. the persister has not applied the event): retried, never dead-lettered. */
export class RetryLater extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RetryLater';
  }
}

/** An event of the partition with the message it came in. */
export interface Delivered<C extends DataSchemas> {
  event: EventOf<C>;
  message: KafkaMessage;
}

export interface PartitionLoopOptions<C extends DataSchemas> {
  name: string;
  kafka: Kafka;
  groupId: string;
  catalog: EventCatalog<C>;
  producer: EventProducer;
  logger: Logger;
  maxWaitTimeInMs: number;
  partitionsConsumedConcurrently: number;
  /**
   * What is handled, then committed, as one: each `event` on its own (the next waits until this
   * one is committed), or a partition's whole `batch` at once.
   */
  unit: 'event' | 'batch';
  /** Handles a unit's events (never empty; poison events are dead-lettered instead). Runs heartbeating. */
  handle(events: Delivered<C>[], partition: number): Promise<void>;
  /**
   * Attempts after which a unit whose handling keeps failing is dead-lettered. Failures that are
   * expected to clear (`RetryLater`, a transient or retryable error) are retried regardless: an
   * outage longer than the attempts would lose events. Without it, failures are retried forever.
   */
  maxAttempts?: number;
  onDeadLettered(count: number): void;
  /** Seconds from the start of the attempt that committed a unit to its commit. */
  onCommitted?(seconds: number): void;
  /** Where the consumer lag gauge is registered (none without). */
  registry?: Registry;
}

/** One gauge per process, shared by its consumers: events behind each partition, by group. */
function consumerLagGauge(registry: Registry): Gauge<'group' | 'topic' | 'partition'> {
  return (
    (registry.getSingleMetric('kafka_consumer_lag') as Gauge<'group' | 'topic' | 'partition'> | undefined) ??
    new Gauge({
      name: 'kafka_consumer_lag',
      help: 'Events in a partition after the last batch fetched, by consumer group, topic and partition',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
    })
  );
}

/**
 * The loop every consumer of a partition runs (plain consumers and persisters alike): parses each
 * unit's events, dead-letters poison ones (and those whose handling gave up) with their source,
 * hands the rest to `handle`, retries failures with backoff, and commits the offset only after
 * the unit was handled or dead-lettered. Delivery is at least once: a crash replays uncommitted
 * units, so handlers must be idempotent. A failed commit is retried without handling again.
 */
export function createPartitionLoop<C extends DataSchemas>(options: PartitionLoopOptions<C>): Worker {
  const { catalog, producer, handle } = options;
  const log = options.logger;
  const consumer = createGroupConsumer({
    kafka: options.kafka,
    groupId: options.groupId,
    topic: catalog.topic,
    logger: log,
    maxWaitTimeInMs: options.maxWaitTimeInMs,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    eachBatch,
  });

  type Dead = { message: KafkaMessage; reason: string };

  /**
   * Traces a unit: a span per event under the trace its producer started (its `traceparent`), so
   * a mutation's trace reaches every consumer of its events; a batch of several also gets a span
   * of its own, linked to each event's trace.
   */
  async function traced(events: Delivered<C>[], run: () => Promise<void>): Promise<void> {
    const spanOf = (e: Delivered<C>) =>
      tracer().startSpan(`${options.name} ${e.event.type}`, { kind: SpanKind.CONSUMER, attributes: { 'event.id': e.event.id } }, contextFrom(e.event.traceparent ? { traceparent: e.event.traceparent } : undefined));
    const applyAll = async () => {
      const spans = events.map(spanOf);
      try {
        await run();
      } finally {
        for (const span of spans) span.end();
      }
    };
    if (events.length === 1) return applyAll();
    return inSpan(`${options.name} batch`, undefined, SpanKind.CONSUMER, applyAll, events.flatMap((e) => linkTo(e.event.traceparent)));
  }

  async function deadLetter(dead: Dead[], partition: number) {
    if (dead.length === 0) return;
    for (const { message, reason } of dead) log.warn({ offset: message.offset, partition, reason }, 'event dead-lettered');
    await producer.sendRaw(
      catalog.dlqTopic,
      dead.map(({ message, reason }) => ({
        key: message.key?.toString() ?? null,
        value: message.value,
        headers: { 'dlq-reason': reason, 'dlq-source': `${catalog.topic}/${partition}/${message.offset}`, 'dlq-consumer': options.name },
      })),
    );
    options.onDeadLettered(dead.length);
  }

  /** Handles, dead-letters and commits one unit; returns false when the partition is to be left (stopping, or revoked). */
  async function runUnit(messages: KafkaMessage[], { batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<boolean> {
    const { partition } = batch;
    let events: Delivered<C>[] = [];
    let dead: Dead[] = [];
    for (const message of messages) {
      try {
        events.push({ event: catalog.parse(message.value), message });
      } catch (err) {
        if (!(err instanceof PoisonEventError)) throw err;
        dead.push({ message, reason: err.message });
      }
    }
    const last = messages[messages.length - 1]!;
    for (let attempt = 1; ; attempt++) {
      if (!isRunning() || isStale()) return false;
      const started = performance.now();
      try {
        await deadLetter(dead, partition);
        dead = [];
        if (events.length > 0) {
          const current = events;
          await keepingMembership(() => traced(current, () => handle(current, partition)), heartbeat);
          events = [];
        }
        await consumer.commitOffsets([{ topic: batch.topic, partition, offset: (BigInt(last.offset) + 1n).toString() }]);
        resolveOffset(last.offset);
        options.onCommitted?.((performance.now() - started) / 1000);
        await heartbeat();
        return true;
      } catch (err) {
        // Expelled from the group (the commit says so): kafkajs must rejoin; what was handled is
        // redelivered to whoever gets the partition, which idempotent handling makes harmless.
        const lost = membershipLost(err);
        if (lost) throw lost;
        if (!isRunning() || isStale()) return false;
        const later = err instanceof RetryLater || isTransient(err) || isRetryable(err);
        if (events.length > 0 && !later && options.maxAttempts !== undefined && attempt >= options.maxAttempts) {
          const reason = `handler failed ${attempt} times: ${(err as Error).message}`;
          dead = events.map(({ message }) => ({ message, reason }));
          events = [];
          continue;
        }
        const delay = Math.min(100 * 2 ** attempt, 5_000);
        const about = events.length === 1 ? { eventId: events[0]!.event.id } : { events: events.length };
        log[err instanceof RetryLater ? 'debug' : 'warn'](
          { err, partition, attempt, delay, ...about },
          options.unit === 'event' ? 'handler failed; retrying' : 'batch failed; retrying',
        );
        await sleep(delay);
        await heartbeat().catch(() => undefined);
      }
    }
  }

  const lag = options.registry ? consumerLagGauge(options.registry) : null;

  async function eachBatch(payload: EachBatchPayload) {
    const { messages, topic, partition } = payload.batch;
    // What is left behind this batch, as the broker told it (offsetLag is from the batch's end).
    lag?.set({ group: options.groupId, topic, partition: String(partition) }, Number(payload.batch.offsetLag()));
    if (messages.length === 0) return;
    const units = options.unit === 'event' ? messages.map((message) => [message]) : [messages];
    for (const unit of units) {
      if (!(await runUnit(unit, payload))) return;
    }
  }

  return {
    start: () => consumer.start(),
    stop: () => consumer.stop(),
    readiness: () => consumer.readiness(),
  };
}
