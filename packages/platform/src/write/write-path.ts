import { randomUUID } from 'node:crypto';
import { Counter, Histogram, type Registry } from 'prom-client';
import { unavailable, writePending } from '../config/errors.ts';
import type { Envelope } from '../kafka/events.ts';
import type { EventProducer } from '../kafka/producer.ts';
import type { Logger } from '../config/logger.ts';
import { outcomeToError, replyChannel, type AppliedOutcome, type Outcome } from './outcomes.ts';
import type { PubSub } from '../realtime/pubsub.ts';

export interface Writer {
  /**
   * Produces the event and waits until the persister has applied or rejected it, so the caller
   * can read its own write. The writer listens on its reply channel before producing, so the
   * outcome cannot be missed. Throws the rejection as a GraphQL error, or WRITE_PENDING (with the
   * event id) on timeout.
   */
  submit(topic: string, event: Envelope): Promise<AppliedOutcome>;
}

/**
 * The write side of a subgraph process. Its events name one reply channel (`replyTo`), which it
 * subscribes once: the persister answers a whole batch's writes from one process with one Redis
 * message, and a write costs no SUBSCRIBE/UNSUBSCRIBE of its own.
 */
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
  const replyTo = replyChannel(randomUUID());
  const waiting = new Map<string, (outcome: Outcome) => void>();
  let listening: Promise<unknown> | null = null;
  // ioredis re-subscribes after a reconnect; outcomes published while it was away time out as WRITE_PENDING.
  const listen = () =>
    (listening ??= pubsub.engine
      .subscribe(replyTo, (outcomes: Outcome[]) => {
        for (const outcome of outcomes) waiting.get(outcome.eventId)?.(outcome);
      })
      .catch((err: unknown) => {
        listening = null;
        throw err;
      }));

  return {
    async submit(topic, event) {
      const started = performance.now();
      try {
        await listen();
      } catch (err) {
        logger.error({ err }, 'cannot subscribe to outcomes');
        throw unavailable('The write path');
      }
      const outcome = new Promise<Outcome>((resolve) => waiting.set(event.id, resolve));
      let timer: NodeJS.Timeout | undefined;
      try {
        try {
          await producer.send(topic, { ...event, replyTo });
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
        waiting.delete(event.id);
      }
    },
  };
}
