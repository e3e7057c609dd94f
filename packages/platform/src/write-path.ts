import { Counter, Histogram, type Registry } from 'prom-client';
import { unavailable, writePending } from './errors.ts';
import type { Envelope } from './events.ts';
import type { EventProducer } from './kafka.ts';
import type { Logger } from './logger.ts';
import { outcomeToError, outcomeTrigger, type AppliedOutcome, type Outcome } from './outcomes.ts';
import type { PubSub } from './pubsub.ts';

export interface Writer {
  /**
   * Produces the event and waits until the persister has applied or rejected it, so the caller
   * can read its own write. Subscribes to the outcome before producing, so it cannot be missed.
   * Throws the rejection as a GraphQL error, or WRITE_PENDING (with the event id) on timeout.
   */
  submit(topic: string, event: Envelope): Promise<AppliedOutcome>;
}

export function createWriter(deps: {
  producer: EventProducer;
  pubsub: PubSub;
  timeoutMs: number;
  logger: Logger;
  registry?: Registry;
}): Writer {
  const { producer, pubsub, timeoutMs, logger } = deps;
  const registers = deps.registry ? [deps.registry] : [];
  const latency = new Histogram({
    name: 'write_path_seconds',
    help: 'Time from producing an event to receiving its outcome',
    labelNames: ['type', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const timeouts = new Counter({ name: 'write_path_timeouts_total', help: 'Writes answered WRITE_PENDING', registers });

  return {
    async submit(topic, event) {
      const started = performance.now();
      let settle!: (outcome: Outcome) => void;
      const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
      let subId: number;
      try {
        subId = await pubsub.engine.subscribe(outcomeTrigger(event.id), (message: Outcome) => settle(message));
      } catch (err) {
        logger.error({ err }, 'cannot subscribe to outcomes');
        throw unavailable('The write path');
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        try {
          await producer.send(topic, event);
        } catch (err) {
          logger.error({ err, eventId: event.id }, 'produce failed');
          throw unavailable('The write path');
        }
        const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
        const result = await Promise.race([outcome, timedOut]);
        if (result === 'timeout') {
          timeouts.inc();
          logger.warn({ eventId: event.id, type: event.type }, 'write outcome timed out');
          throw writePending(event.id);
        }
        latency.observe({ type: event.type, status: result.status }, (performance.now() - started) / 1000);
        if (result.status === 'rejected') throw outcomeToError(result);
        return result;
      } finally {
        clearTimeout(timer);
        pubsub.engine.unsubscribe(subId);
      }
    },
  };
}
