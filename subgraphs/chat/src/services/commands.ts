import type { Viewer } from '@finder/platform/auth';
import { badInput, notFound, validate } from '@finder/platform/config';
import { uuidv7 } from '@finder/platform/data';
import type { PubSub } from '@finder/platform/realtime';
import type { RateLimiter } from '@finder/platform/server';
import type { Submit } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import { chatEvents } from '../events/chat-events.ts';
import type { ConversationModel, MessageModel, TypingModel } from '../models.ts';
import { triggers } from '../triggers.ts';
import { requireShareable } from './attachments.ts';
import { rememberingParticipants } from './membership.ts';
import { reads } from './reads.ts';
import { conversationIdSchema, sendMessageSchema, seqSchema, startConversationSchema } from './validation.ts';

type Limiter = RateLimiter;

/**
 * Chat's rules: who may do what, checked here for fast feedback and again by the persister,
 * which alone writes. Every write goes through chat.events and answers after it is stored.
 */
export function createChatCommands(deps: { submit: Submit<typeof chatEvents.schemas>; pubsub: PubSub; sendLimiter: Limiter; typingLimiter: Limiter }) {
  const { submit } = deps;
  const isParticipant = rememberingParticipants(reads.isParticipant);

  async function requireParticipant(em: EntityManager, conversationId: string, viewer: Viewer): Promise<void> {
    // Non-participants cannot tell a conversation they are not in from one that does not exist.
    if (!(await isParticipant(em, conversationId, viewer.id))) throw notFound('Conversation');
  }

  async function conversation(em: EntityManager, id: string): Promise<ConversationModel> {
    const [found] = await reads.conversations(em, [id]);
    if (!found) throw notFound('Conversation');
    return found;
  }

  return {
    requireParticipant,

    async startConversation(em: EntityManager, viewer: Viewer, raw: unknown): Promise<ConversationModel> {
      const input = validate(startConversationSchema, raw);
      const others = [...new Set(input.participantIds)].filter((id) => id !== viewer.id);
      if (others.length === 0) throw badInput('input.participantIds: must name someone other than yourself', 'input.participantIds');
      const conversationId = uuidv7();
      const outcome = await submit(
        chatEvents.create('conversation.started', {
          aggregateId: conversationId,
          actorId: viewer.id,
          idempotencyKey: input.idempotencyKey ?? undefined,
          data: { conversationId, createdBy: viewer.id, participantIds: [viewer.id, ...others] },
        }),
      );
      return conversation(em, String(outcome.result?.conversationId ?? conversationId));
    },

    async sendMessage(em: EntityManager, viewer: Viewer, raw: unknown): Promise<MessageModel> {
      const input = validate(sendMessageSchema, raw);
      // The budget (Redis) and the membership (Postgres) are asked at once; a refusal of the
      // budget still comes first.
      await firstRefusal([deps.sendLimiter.check(viewer.id), requireParticipant(em, input.conversationId, viewer)]);
      await requireShareable(em, viewer.id, input.attachmentIds ?? []);
      const messageId = uuidv7();
      const message = { conversationId: input.conversationId, senderId: viewer.id, body: input.body, attachmentIds: input.attachmentIds ?? [] };
      const event = chatEvents.create('message.sent', {
        aggregateId: message.conversationId,
        actorId: viewer.id,
        idempotencyKey: input.idempotencyKey ?? undefined,
        data: { messageId, ...message },
      });
      const outcome = await submit(event);
      // Stored as sent: the message is the event's, with the seq the persister gave it.
      if (outcome.replayOf === undefined && outcome.result?.messageId === messageId && typeof outcome.result.seq === 'number') {
        return { id: messageId, ...message, seq: outcome.result.seq, createdAt: event.occurredAt };
      }
      // A retry with the same idempotency key answers with the message the first attempt stored.
      const [stored] = await reads.messages(em, [String(outcome.result?.messageId ?? messageId)]);
      if (!stored) throw notFound('Message');
      return stored;
    },

    async markRead(em: EntityManager, viewer: Viewer, rawConversationId: string, rawUpToSeq: number): Promise<ConversationModel> {
      const conversationId = validate(conversationIdSchema, rawConversationId, 'conversationId');
      const upToSeq = validate(seqSchema, rawUpToSeq, 'upToSeq');
      await requireParticipant(em, conversationId, viewer);
      await submit(
        chatEvents.create('conversation.read', {
          aggregateId: conversationId,
          actorId: viewer.id,
          data: { conversationId, userId: viewer.id, upToSeq },
        }),
      );
      return conversation(em, conversationId);
    },

    /** Ephemeral by design: straight to Redis, never to Kafka or Postgres. */
    async setTyping(em: EntityManager, viewer: Viewer, rawConversationId: string, typing: boolean): Promise<boolean> {
      const conversationId = validate(conversationIdSchema, rawConversationId, 'conversationId');
      await deps.typingLimiter.check(viewer.id);
      await requireParticipant(em, conversationId, viewer);
      const payload: TypingModel = { conversationId, userId: viewer.id, typing, at: new Date().toISOString() };
      await deps.pubsub.publish(triggers.typing(conversationId), payload);
      return true;
    },
  };
}

export type ChatCommands = ReturnType<typeof createChatCommands>;

/** Waits for every check, then throws the refusal of the first one that refused (not the fastest). */
async function firstRefusal(checks: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(checks);
  const refused = settled.find((r) => r.status === 'rejected');
  if (refused) throw refused.reason;
}
