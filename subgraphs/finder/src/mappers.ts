/** A reference to a User entity owned by the users subgraph; finder knows only the id. */
export interface UserReference {
  __typename?: 'User';
  id: string;
}

export const userRef = (id: string): UserReference => ({ __typename: 'User', id });

/** A reference to a Conversation entity owned by the chat subgraph (which authorizes its reads). */
export interface ConversationReference {
  __typename?: 'Conversation';
  id: string;
}

export const conversationRef = (id: string): ConversationReference => ({ __typename: 'Conversation', id });
