/** Redis pub/sub channels of the chat subgraph, built in one place. */
export const triggers = {
  messageAdded: (conversationId: string) => `chat.conversation.${conversationId}.messages`,
  typing: (conversationId: string) => `chat.conversation.${conversationId}.typing`,
  conversationUpdated: (userId: string) => `chat.user.${userId}.conversations`,
};

import type { MessageModel } from './models.ts';

/** What goes over Redis for a new message: the stored row, so subscribers need no read. */
export type MessagePayload = MessageModel & { createdAt: string };

export interface TypingPayload {
  conversationId: string;
  userId: string;
  typing: boolean;
  at: string;
}

export interface ConversationUpdatedPayload {
  conversationId: string;
}
