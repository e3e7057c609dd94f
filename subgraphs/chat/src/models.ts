/**
 * The shapes resolvers work with, whether read from Postgres (services/reads.ts) or received over
 * Redis (the persister publishes stored messages as they are, typing is published as it is).
 */
export interface ConversationModel {
  id: string;
  createdBy: string;
  lastSeq: number;
  lastActivityAt: Date | string;
  createdAt: Date | string;
}

export interface MessageModel {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string;
  attachmentIds: string[];
  createdAt: Date | string;
  /** The trace of the sendMessage that wrote it, on a live publication (not read back from storage). */
  traceparent?: string;
}

export interface ParticipantModel {
  conversationId: string;
  userId: string;
  lastReadSeq: number;
}

export interface TypingModel {
  conversationId: string;
  userId: string;
  typing: boolean;
  at: string;
}

/** Users and files belong to other subgraphs; chat only holds their ids. */
export interface UserReference {
  __typename?: 'User';
  id: string;
}
