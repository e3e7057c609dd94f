import { requireViewer } from '@finder/platform/auth';
import { notFound, validate } from '@finder/platform/config';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { conversationIdSchema } from '../services/validation.ts';

export const Query: QueryResolvers = {
  conversation: async (_root, { id }, { viewer: caller, loaders }) => {
    const viewer = requireViewer(caller);
    const conversationId = validate(conversationIdSchema, id, 'id');
    const participants = await loaders.participants.load(conversationId);
    if (!participants.some((p) => p.userId === viewer.id)) throw notFound('Conversation');
    return loaders.conversation.load(conversationId);
  },
};
