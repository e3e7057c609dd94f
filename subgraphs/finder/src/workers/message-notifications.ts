import type { ChatFact } from '@finder/platform/contracts';
import type { EventProducer } from '@finder/platform/kafka';
import { finderEvents } from '../events/finder-events.ts';

/**
 * Turns chat's `message.missed` into one notification request per recipient who was not watching,
 * for the finder persister to number and store like every other notification. It reads nothing
 * of chat's. Event ids are derived from the fact and the recipient, so a redelivered fact is
 * skipped by the persister and notifies nobody twice.
 */
export function createMessageNotificationsHandler(deps: { producer: EventProducer }) {
  return async function handle(fact: ChatFact): Promise<void> {
    if (fact.type !== 'message.missed') return;
    const d = fact.data;
    for (const userId of d.recipientIds) {
      await deps.producer.send(
        finderEvents.topic,
        finderEvents.derive('message_notification.requested', fact, {
          aggregateId: userId,
          discriminator: userId,
          data: { userId, conversationId: d.conversationId, messageId: d.messageId, senderId: d.senderId, preview: d.preview },
        }),
      );
    }
  };
}
