import { filterIterator, gaplessStream, onFinished } from '@finder/platform/realtime';
import { requireViewer } from '@finder/platform/auth';
import { notFound, validate } from '@finder/platform/config';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import type { MessageModel, TypingModel } from '../models.ts';
import { reads } from '../services/reads.ts';
import { conversationIdSchema, seqSchema } from '../services/validation.ts';
import { watchingKey } from '../services/watching.ts';
import { triggers, type ConversationUpdatedPayload } from '../triggers.ts';

/** Subscriptions are authorized exactly like queries, once, when they start. */
async function participantOf(ctx: Context, rawConversationId: string): Promise<string> {
  const viewer = requireViewer(ctx.viewer);
  const conversationId = validate(conversationIdSchema, rawConversationId, 'conversationId');
  if (!(await reads.isParticipant(ctx.fork(), conversationId, viewer.id))) throw notFound('Conversation');
  return conversationId;
}

export const Subscription: SubscriptionResolvers = {
  messageAdded: {
    subscribe: async (_root, args, ctx) => {
      const conversationId = await participantOf(ctx, args.conversationId);
      const after = args.after === null || args.after === undefined ? null : validate(seqSchema, args.after, 'after');
      // Watching from now until the stream ends: messages meanwhile are not "missed" (no notification).
      const leave = ctx.watching.enter(watchingKey(conversationId, ctx.viewer!.id));
      const stream = await gaplessStream<MessageModel>({
        pubsub: ctx.pubsub,
        trigger: triggers.messageAdded(conversationId),
        after,
        replay: (from, limit) => reads.messagesAfter(ctx.fork(), conversationId, from, limit),
        latest: () => reads.lastSeq(ctx.fork(), conversationId),
        seqOf: (message) => message.seq,
        logger: ctx.logger,
      }).catch((err: unknown) => {
        leave();
        throw err;
      });
      return onFinished(stream, leave);
    },
    resolve: (message: MessageModel, _args: unknown, ctx: Context) => {
      ctx.cursor = message.seq;
      ctx.traceparent = message.traceparent;
      return message;
    },
  },
  typing: {
    subscribe: async (_root, args, ctx) => {
      const conversationId = await participantOf(ctx, args.conversationId);
      const viewerId = ctx.viewer!.id;
      return filterIterator(ctx.pubsub.engine.asyncIterableIterator<TypingModel>(triggers.typing(conversationId)), (e) => e.userId !== viewerId);
    },
    resolve: (event: TypingModel) => event,
  },
  conversationUpdated: {
    subscribe: (_root, _args, ctx) =>
      ctx.pubsub.engine.asyncIterableIterator<ConversationUpdatedPayload>(triggers.conversationUpdated(requireViewer(ctx.viewer).id)),
    resolve: async (payload: ConversationUpdatedPayload, _args: unknown, ctx: Context) => {
      ctx.refreshLoaders();
      const conversation = await ctx.loaders.conversation.load(payload.conversationId);
      if (!conversation) throw notFound('Conversation');
      return conversation;
    },
  },
} as SubscriptionResolvers;
