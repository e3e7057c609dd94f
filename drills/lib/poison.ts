import { Kafka, logLevel } from 'kafkajs';
import { chatFacts } from '../../packages/platform/src/contracts/chat-facts.ts';
import { usersFacts } from '../../packages/platform/src/contracts/users-facts.ts';
import { chatEvents } from '../../subgraphs/chat/src/events/chat-events.ts';
import { filesEvents } from '../../subgraphs/files/src/events/files-events.ts';
import { finderEvents } from '../../subgraphs/finder/src/events/finder-events.ts';
import { usersEvents } from '../../subgraphs/users/src/events/users-events.ts';
import type { Env } from './stack.ts';

/** Each topic and the consumer groups that read it (each must dead-letter a poison event and go on). */
export const TOPICS = [
  { catalog: usersEvents, consumers: ['users-persister', 'users-mailer'] },
  { catalog: usersFacts, consumers: ['files-avatar-projector'] },
  { catalog: chatEvents, consumers: ['chat-persister'] },
  { catalog: chatFacts, consumers: ['files-chat-projector', 'finder-message-notifications'] },
  { catalog: finderEvents, consumers: ['finder-persister'] },
  { catalog: filesEvents, consumers: ['files-persister', 'files-converter', 'files-janitor'] },
] as const;

export interface PoisonPill {
  topic: string;
  kind: 'unparseable' | 'schema-invalid';
  value: string;
}

/** Two poison events per topic: bytes that are not JSON, and a well-formed envelope of a known type with invalid data. */
export function poisonPills(marker: string): PoisonPill[] {
  return TOPICS.flatMap(({ catalog }) => {
    const type = Object.keys(catalog.schemas)[0]!;
    const envelope = { id: crypto.randomUUID(), type, aggregateId: marker, actorId: null, occurredAt: new Date().toISOString(), data: { drill: marker } };
    return [
      { topic: catalog.topic, kind: 'unparseable' as const, value: `{"drill": "${marker}", not json` },
      { topic: catalog.topic, kind: 'schema-invalid' as const, value: JSON.stringify(envelope) },
    ];
  });
}

function kafka(env: Env): Kafka {
  return new Kafka({ clientId: 'drill', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
}

export async function producePoison(env: Env, pills: PoisonPill[]): Promise<void> {
  const producer = kafka(env).producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    for (const pill of pills) await producer.send({ topic: pill.topic, acks: -1, messages: [{ key: pill.kind, value: pill.value }] });
  } finally {
    await producer.disconnect();
  }
}

export interface DeadLetter {
  topic: string;
  value: string;
  consumer: string;
  reason: string;
}

/**
 * Reads every `<topic>.dlq` from the beginning with a throwaway consumer group until `done` says
 * it has seen enough (or the time is up), and returns the dead letters whose value contains `marker`.
 */
export async function readDeadLetters(env: Env, marker: string, done: (letters: DeadLetter[]) => boolean, timeoutMs: number): Promise<DeadLetter[]> {
  const consumer = kafka(env).consumer({ groupId: `drill-dlq-${crypto.randomUUID()}`, maxWaitTimeInMs: 100 });
  const letters: DeadLetter[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: TOPICS.map((t) => t.catalog.dlqTopic), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const value = message.value?.toString() ?? '';
        if (!value.includes(marker)) return;
        const header = (name: string) => message.headers?.[name]?.toString() ?? '';
        letters.push({ topic, value, consumer: header('dlq-consumer'), reason: header('dlq-reason') });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!done(letters) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  } finally {
    await consumer.disconnect();
  }
  return letters;
}
