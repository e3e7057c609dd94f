import { randomUUID } from 'node:crypto';
import { createEventProducer, createKafka } from '@finder/platform/kafka';
import { createLogger } from '@finder/platform/logger';
import { replyChannel } from '@finder/platform/outcomes';
import { chatEvents, type ChatEvent } from '../../../subgraphs/chat/src/events/chat-events.ts';

/**
 * Produces the chat.events backlog both consumers read: `conversations` conversation.started
 * events, then `messages` message.sent events spread over them, each from one of its two people.
 */
export async function produceBacklog(brokers: string, conversations: number, messages: number): Promise<void> {
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
    for (let i = 0; i < events.length; i += 1_000) {
      await producer.sendRaw(
        chatEvents.topic,
        events.slice(i, i + 1_000).map((e, j) => ({
          key: e.aggregateId,
          value: JSON.stringify({ ...e, replyTo: replicas[(i + j) % replicas.length] }),
          headers: { 'event-type': e.type, 'event-id': e.id },
        })),
      );
    }
  } finally {
    await producer.disconnect();
  }
}
