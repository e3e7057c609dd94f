/** Redis pub/sub channels of the chat subgraph, built in one place. */
export const triggers = {
  /** Publications: MessageModel[] (a batch's messages of the conversation, in seq order). */
  messageAdded: (conversationId: string) => `chat.conversation.${conversationId}.messages`,
  /** Publications: TypingModel. */
  typing: (conversationId: string) => `chat.conversation.${conversationId}.typing`,
  /** Publications: ConversationUpdatedPayload. */
  conversationUpdated: (userId: string) => `chat.user.${userId}.conversations`,
};

export interface ConversationUpdatedPayload {
  conversationId: string;
}
