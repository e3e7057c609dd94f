import { forbidden } from '@finder/platform/errors';
import type { UserResolvers } from '../__generated__/resolvers-types.ts';
import { reads } from '../services/reads.ts';
import { decodeCursor, encodeCursor, pageSize } from './cursors.ts';

const isActivityCursor = (v: unknown): v is { at: string; id: string } =>
  typeof (v as { at?: unknown })?.at === 'string' && typeof (v as { id?: unknown })?.id === 'string';

export const User: UserResolvers = {
  __resolveReference: ({ id }) => ({ __typename: 'User', id }),
  conversations: async (user, args, { viewer, em, loaders }) => {
    if (!viewer || viewer.id !== user.id) throw forbidden('Only the user themself can list their conversations');
    const limit = pageSize(args.first, 'first', 20);
    const after = args.after ? decodeCursor(args.after, 'after', isActivityCursor) : undefined;
    const rows = await reads.conversationsOf(em, user.id, { after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    for (const conversation of page) loaders.conversation.prime(conversation.id, conversation);
    const edges = page.map((node) => ({ cursor: encodeCursor({ at: new Date(node.lastActivityAt).toISOString(), id: node.id }), node }));
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > limit,
        hasPreviousPage: after !== undefined,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  },
};
