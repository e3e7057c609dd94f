import { decodeCursor, encodeCursor, forwardPage, isTimeIdCursor, pageSize } from '@finder/platform/server';
import { forbidden } from '@finder/platform/config';
import type { UserResolvers } from '../__generated__/resolvers-types.ts';
import { reads } from '../services/reads.ts';

export const User: UserResolvers = {
  __resolveReference: ({ id }) => ({ __typename: 'User', id }),
  conversations: async (user, args, { viewer, em, loaders }) => {
    if (!viewer || viewer.id !== user.id) throw forbidden('Only the user themself can list their conversations');
    const limit = pageSize(args.first, 'first', 20);
    const after = args.after ? decodeCursor(args.after, 'after', isTimeIdCursor) : undefined;
    const rows = await reads.conversationsOf(em, user.id, { after, limit: limit + 1 });
    for (const conversation of rows.slice(0, limit)) loaders.conversation.prime(conversation.id, conversation);
    return forwardPage(rows, limit, (node) => encodeCursor({ at: new Date(node.lastActivityAt).toISOString(), id: node.id }), after !== undefined);
  },
};
