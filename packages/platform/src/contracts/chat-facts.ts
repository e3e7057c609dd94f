import { defineEvents, type EventOf } from '../kafka/events.ts';
import { z } from 'zod';

/**
 * What chat announces to the other subgraphs: changes its persister applied, written to the
 * outbox in the same transaction (../write/outbox.ts). Files projects participants and shared
 * files from it; finder turns `message.missed` into notifications. Keyed by conversation.
 */
export const chatFacts = defineEvents('chat.facts', {
  /** A conversation exists, with everyone in it. */
  'conversation.started': z.object({
    conversationId: z.uuid(),
    participantIds: z.array(z.uuid()).min(2).max(50),
  }),
  /** A stored message carries attachments (as its sender named them; files decides what that grants). */
  'attachments.shared': z.object({
    conversationId: z.uuid(),
    messageId: z.uuid(),
    senderId: z.uuid(),
    fileIds: z.array(z.uuid()).min(1).max(10),
    sharedAt: z.iso.datetime(),
  }),
  /**
   * A message was stored while some of its recipients had no live `messageAdded` subscription to
   * its conversation (on any replica). Only those recipients are listed; a message everybody was
   * watching has no such fact. Chat stores messages in batches and names each recipient only for
   * the first message of a conversation it missed in a batch (a missed conversation, not a count).
   */
  'message.missed': z.object({
    conversationId: z.uuid(),
    messageId: z.uuid(),
    seq: z.number().int().min(1),
    senderId: z.uuid(),
    /** The start of the body, for a notification's text. */
    preview: z.string().max(200),
    recipientIds: z.array(z.uuid()).min(1),
  }),
});

export type ChatFact = EventOf<typeof chatFacts.schemas>;
