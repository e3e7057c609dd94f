import { unauthenticated } from '@finder/platform/config';
import type { Viewer } from '@finder/platform/auth';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

const signedIn = (viewer: Viewer | null): Viewer => {
  if (!viewer) throw unauthenticated();
  return viewer;
};

export const Mutation: MutationResolvers = {
  startConversation: (_root, { input }, { viewer, commands, em }) => commands.startConversation(em, signedIn(viewer), input),
  sendMessage: (_root, { input }, { viewer, commands, em }) => commands.sendMessage(em, signedIn(viewer), input),
  markRead: (_root, { conversationId, upToSeq }, { viewer, commands, em }) => commands.markRead(em, signedIn(viewer), conversationId, upToSeq),
  setTyping: (_root, { conversationId, typing }, { viewer, commands, em }) => commands.setTyping(em, signedIn(viewer), conversationId, typing),
};
