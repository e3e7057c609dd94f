import type { FinderFact } from '@finder/platform/contracts';
import { derivedUuid } from '@finder/platform/data';
import type { EventProducer } from '@finder/platform/kafka';
import { chatEvents } from '../events/chat-events.ts';

/** The conversation of an engagement: the same id however often the engagement is announced. */
export const engagementConversationId = (engagementId: string): string => derivedUuid('chat.engagement-conversation', engagementId);

/**
 * Opens the conversation of an accepted engagement (finder's `engagement.accepted` fact, which
 * exists only once finder applied the acceptance). It reads nothing of finder's: it produces
 * `conversation.started` to chat.events for the chat persister to apply like any other start. The
 * conversation id comes from the engagement and the event id from the fact, so a redelivered fact
 * is skipped by the persister's event ids and can never open a second conversation (which
 * `engagement_id unique` forbids anyway). Files learns the participants from the same event.
 */
export function createEngagementConversationsHandler(deps: { producer: EventProducer }) {
  return async function handle(fact: FinderFact): Promise<void> {
    if (fact.type !== 'engagement.accepted') return;
    const d = fact.data;
    const conversationId = engagementConversationId(d.engagementId);
    await deps.producer.send(
      chatEvents.topic,
      chatEvents.derive('conversation.started', fact, {
        aggregateId: conversationId,
        data: { conversationId, createdBy: d.professionalId, participantIds: [d.businessId, d.professionalId], engagementId: d.engagementId },
      }),
    );
  };
}
