import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const ConversationSchema = defineEntity({
  name: 'Conversation',
  tableName: 'conversations',
  properties: {
    id: p.uuid().primary(),
    createdBy: p.uuid(),
    engagementId: p.string().nullable(),
    /** The seq of the newest message; the persister assigns the next one. */
    lastSeq: p.integer(),
    lastActivityAt: p.datetime(),
    createdAt: p.datetime(),
  },
});
export type ConversationEntity = InferEntity<typeof ConversationSchema>;

export const MessageSchema = defineEntity({
  name: 'Message',
  tableName: 'messages',
  properties: {
    id: p.uuid().primary(),
    conversationId: p.uuid(),
    seq: p.integer(),
    senderId: p.uuid(),
    body: p.text(),
    attachmentIds: p.array().columnType('uuid[]'),
    createdAt: p.datetime(),
  },
});
export type MessageEntity = InferEntity<typeof MessageSchema>;

export const ParticipantSchema = defineEntity({
  name: 'Participant',
  tableName: 'participants',
  properties: {
    conversationId: p.uuid().primary(),
    userId: p.uuid().primary(),
    lastReadSeq: p.integer(),
    joinedAt: p.datetime(),
  },
});
export type ParticipantEntity = InferEntity<typeof ParticipantSchema>;

export const entities = [ConversationSchema, MessageSchema, ParticipantSchema];
