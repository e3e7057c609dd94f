import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Envelope } from './events.ts';
import type { Logger } from '../config/logger.ts';
import { installRequestQueueFix } from './request-queue-fix.ts';
import { createProduceQueue } from './produce-queue.ts';

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  logger: Logger;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka({ brokers, clientId, logger }: KafkaConfig): Kafka {
  installRequestQueueFix();
  const log = logger.child({ component: 'kafka' });
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 10 },
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        log[LEVELS[level] ?? 'info'](rest, message);
      },
  });
}

export interface EventProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * Produces with acks=-1, keyed by aggregate so each aggregate's events stay ordered. Sends made
   * while a produce to the same topic is in flight go out together in the next request (produce-queue.ts).
   */
  send(topic: string, event: Envelope): Promise<void>;
  sendRaw(topic: string, messages: { key?: string | null; value: Buffer | string | null; headers?: Record<string, string> }[]): Promise<void>;
  readonly connected: boolean;
}

export function createEventProducer(kafka: Kafka, options: { idempotent: boolean }): EventProducer {
  const producer: Producer = kafka.producer({
    idempotent: options.idempotent,
    maxInFlightRequests: options.idempotent ? 5 : undefined,
    allowAutoTopicCreation: true,
  });
  let connected = false;
  producer.on(producer.events.CONNECT, () => (connected = true));
  producer.on(producer.events.DISCONNECT, () => (connected = false));
  const produce = createProduceQueue((topic, messages) => producer.send({ topic, acks: -1, messages }).then(() => undefined));
  return {
    get connected() {
      return connected;
    },
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(topic, event) {
      const headers: Record<string, string> = { 'event-type': event.type, 'event-id': event.id };
      if (event.traceparent) headers.traceparent = event.traceparent;
      await produce(topic, [{ key: event.aggregateId, value: JSON.stringify(event), headers }]);
    },
    async sendRaw(topic, messages) {
      await produce(topic, messages);
    },
  };
}
