/** Redis pub/sub channels of the chat subgraph, built in one place. */
export const triggers = {
  messageAdded: (conversationId: string) => `chat.conversation.${conversationId}.messages`,
  typing: (conversationId: string) => `chat.conversation.${conversationId}.typing`,
  conversationUpdated: (userId: string) => `chat.user.${userId}.conversations`,
};

/** What goes over Redis for a new message: the stored row, so subscribers need no read. */
export interface MessagePayload {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string;
  attachmentIds: string[];
  createdAt: string;
}

export interface TypingPayload {
  conversationId: string;
  userId: string;
  typing: boolean;
  at: string;
}

export interface ConversationUpdatedPayload {
  conversationId: string;
}
