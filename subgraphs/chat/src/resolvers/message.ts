import type { MessageResolvers } from '../__generated__/resolvers-types.ts';

export const Message: MessageResolvers = {
  __resolveReference: async ({ id }, { viewer, loaders }) => {
    const message = await loaders.message.load(id);
    if (!message || !viewer) return null;
    const participants = await loaders.participants.load(message.conversationId);
    return participants.some((p) => p.userId === viewer.id) ? message : null;
  },
  sender: (message) => ({ __typename: 'User', id: message.senderId }),
};
