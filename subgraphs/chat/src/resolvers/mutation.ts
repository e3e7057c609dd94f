import { requireViewer } from '@finder/platform/auth';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  startConversation: (_root, { input }, { viewer, commands, em }) => commands.startConversation(em, requireViewer(viewer), input),
  sendMessage: (_root, { input }, { viewer, commands, em }) => commands.sendMessage(em, requireViewer(viewer), input),
  markRead: (_root, { conversationId, upToSeq }, { viewer, commands, em }) => commands.markRead(em, requireViewer(viewer), conversationId, upToSeq),
  setTyping: (_root, { conversationId, typing }, { viewer, commands, em }) => commands.setTyping(em, requireViewer(viewer), conversationId, typing),
};
