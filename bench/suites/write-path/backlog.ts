import { randomUUID } from 'node:crypto';
import { createEventProducer, createKafka } from '@finder/platform/kafka';
import { createLogger } from '@finder/platform/config';
import { replyChannel } from '@finder/platform/write';
import { chatEvents, type ChatEvent } from '../../../subgraphs/chat/src/events/chat-events.ts';

export const BACKLOG_PARTITIONS = 4;

/**
 * Produces the chat.events backlog the consumers read: `conversations` conversation.started
 * events, then `messages` message.sent events spread over them, each from one of its two people.
 *
 * `perRecordBatch`: events per partition per produce request, hence per record batch. The local
 * broker, like Kafka, answers a fetch with as many record batches as fit in the consumer's
 * `maxBytesPerPartition` (1 MiB in kafkajs); before 2026-12-07 it answered with one per partition,
 * so this layout decided how many events a consumer got per fetch. Returns the mean size of an event.
 */
export async function produceBacklog(brokers: string, conversations: number, messages: number, perRecordBatch: number): Promise<{ meanEventBytes: number }> {
  const kafka = createKafka({ brokers: brokers.split(','), clientId: 'bench-backlog', logger: createLogger('bench-backlog', 'warn') });
  const producer = createEventProducer(kafka, { idempotent: false });
  await producer.connect();
  try {
    const people = Array.from({ length: conversations }, () => ({ id: randomUUID(), members: [randomUUID(), randomUUID()] }));
    const events: ChatEvent[] = people.map(({ id, members }) =>
      chatEvents.create('conversation.started', { aggregateId: id, actorId: members[0]!, data: { conversationId: id, createdBy: members[0]!, participantIds: members } }),
    );
    for (let i = 0; i < messages; i++) {
      const { id, members } = people[i % conversations]!;
      const senderId = members[i % 2]!;
      events.push(
        chatEvents.create('message.sent', {
          aggregateId: id,
          actorId: senderId,
          data: { messageId: randomUUID(), conversationId: id, senderId, body: `Backlog message ${i}: the invoice is attached, see you on Tuesday.`, attachmentIds: [] },
        }),
      );
    }
    // As if sent through the two chat replicas: the persister answers on their reply channels
    // (nobody listens here, but the publications cost it the same).
    const replicas = [replyChannel(`bench-${randomUUID()}`), replyChannel(`bench-${randomUUID()}`)];
    // Conversation ids are random, so a send's events spread evenly over the partitions.
    const perSend = perRecordBatch * BACKLOG_PARTITIONS;
    let bytes = 0;
    for (let i = 0; i < events.length; i += perSend) {
      const batch = events.slice(i, i + perSend).map((e, j) => ({
        key: e.aggregateId,
        value: JSON.stringify({ ...e, replyTo: replicas[(i + j) % replicas.length] }),
        headers: { 'event-type': e.type, 'event-id': e.id },
      }));
      bytes += batch.reduce((sum, m) => sum + Buffer.byteLength(m.value), 0);
      await producer.sendRaw(chatEvents.topic, batch);
    }
    return { meanEventBytes: bytes / events.length };
  } finally {
    await producer.disconnect();
  }
}
