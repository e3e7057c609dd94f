import { defineEvents, type EventOf } from '@finder/platform/kafka';
import { z } from 'zod';
import { MAX_ATTACHMENTS, MAX_BODY, MAX_PARTICIPANTS } from '../services/validation.ts';

/** The chat subgraph's event contract. Every event is keyed by conversation, so each stays in order. */
export const chatEvents = defineEvents('chat.events', {
  'conversation.started': z.object({
    conversationId: z.uuid(),
    createdBy: z.uuid(),
    /** Everyone in it, the creator included. */
    participantIds: z.array(z.uuid()).min(2).max(MAX_PARTICIPANTS),
    /** Set when finder's accepted engagement opened it: one conversation per engagement. */
    engagementId: z.string().optional(),
  }),
  'message.sent': z.object({
    messageId: z.uuid(),
    conversationId: z.uuid(),
    senderId: z.uuid(),
    body: z.string().min(1).max(MAX_BODY),
    attachmentIds: z.array(z.uuid()).max(MAX_ATTACHMENTS),
  }),
  'conversation.read': z.object({
    conversationId: z.uuid(),
    userId: z.uuid(),
    upToSeq: z.number().int().min(0),
  }),
});

export type ChatEvent = EventOf<typeof chatEvents.schemas>;
