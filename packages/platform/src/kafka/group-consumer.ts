import type { Consumer, EachBatchPayload, Kafka, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { GROUP_TIMING } from './group-membership.ts';
import type { Logger } from '../config/logger.ts';
import type { Worker } from './worker.ts';

/**
 * How long a fetch that finds nothing waits at the broker for new events, for persisters and for
 * the other consumers. The broker answers as soon as an event arrives (Kafka, and the local broker
 * through its long-poll proxy), so the wait costs no latency: it only sets how often an idle
 * consumer asks again, and how soon it hears of a rebalance.
 */
export interface FetchWait {
  persisterMs: number;
  consumerMs: number;
}

/**
 * Persisters ask again every second: they hear of a rebalance soonest, which the write path's
 * drills count on. The other consumers (projectors, the mailer, the converter, the janitor) wait
 * 3 s, a third of the idle fetches and heartbeats they cost the broker and themselves.
 */
export const DEFAULT_FETCH_WAIT: FetchWait = { persisterMs: 1_000, consumerMs: 3_000 };

export interface GroupConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  logger: Logger;
  maxWaitTimeInMs: number;
  partitionsConsumedConcurrently: number;
  eachBatch(payload: EachBatchPayload): Promise<void>;
  /** How long to wait before replacing a consumer that kafkajs gave up on. */
  reviveAfterMs?: number;
}

export interface GroupConsumer extends Worker {
  /** Commits through the consumer currently running (it is replaced after a fatal crash). */
  commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void>;
}

/**
 * A kafkajs group consumer that does not stay dead. kafkajs restarts itself after retriable
 * errors, but any other error escaping a batch (a protocol error it does not classify, a bug)
 * stops it for good while the process lives on, reporting ready to nobody and consuming nothing.
 * Here such a crash is logged and the consumer is replaced after a pause; the uncommitted events
 * are simply redelivered to the new one.
 */
export function createGroupConsumer(options: GroupConsumerOptions): GroupConsumer {
  const { kafka, groupId, topic, logger } = options;
  const reviveAfterMs = options.reviveAfterMs ?? 5_000;
  let consumer: Consumer | null = null;
  let joined = false;
  let crashed: string | null = null;
  let stopped = false;
  let reviveTimer: NodeJS.Timeout | undefined;

  async function run(): Promise<void> {
    const current = kafka.consumer({ groupId, ...GROUP_TIMING, maxWaitTimeInMs: options.maxWaitTimeInMs, allowAutoTopicCreation: true });
    consumer = current;
    current.on(current.events.GROUP_JOIN, () => {
      joined = true;
      crashed = null;
    });
    current.on(current.events.STOP, () => (joined = false));
    current.on(current.events.CRASH, (e) => {
      crashed = String(e.payload.error?.message ?? e.payload.error);
      joined = false;
      if (e.payload.restart || stopped) return;
      logger.error({ err: e.payload.error, groupId, reviveAfterMs }, 'consumer stopped by a fatal error; replacing it');
      reviveTimer = setTimeout(() => void revive(current), reviveAfterMs);
    });
    await current.connect();
    await current.subscribe({ topic, fromBeginning: true });
    await current.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      eachBatch: options.eachBatch,
    });
  }

  async function revive(dead: Consumer): Promise<void> {
    if (stopped || consumer !== dead) return;
    await dead.disconnect().catch(() => undefined);
    try {
      await run();
      logger.info({ groupId }, 'consumer replaced');
    } catch (err) {
      crashed = String((err as Error).message ?? err);
      logger.error({ err, groupId }, 'consumer could not be replaced; trying again');
      if (!stopped) reviveTimer = setTimeout(() => void revive(consumer!), reviveAfterMs);
    }
  }

  return {
    start: run,
    async stop() {
      stopped = true;
      clearTimeout(reviveTimer);
      await consumer?.disconnect();
    },
    async commitOffsets(offsets) {
      if (!consumer) throw new Error('consumer not started');
      await consumer.commitOffsets(offsets);
    },
    readiness() {
      if (crashed) return { ready: false, detail: `consumer crashed: ${crashed}` };
      return joined ? { ready: true, detail: 'consuming' } : { ready: false, detail: 'joining consumer group' };
    },
  };
}
