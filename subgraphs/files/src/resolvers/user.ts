import { forbidden } from '@finder/platform/errors';
import type { UserResolvers } from '../__generated__/resolvers-types.ts';
import { reads } from '../services/reads.ts';
import { decodeCursor, encodeCursor, pageSize } from './cursors.ts';

const isCreatedCursor = (v: unknown): v is { at: string; id: string } =>
  typeof (v as { at?: unknown })?.at === 'string' && typeof (v as { id?: unknown })?.id === 'string';

export const User: UserResolvers = {
  __resolveReference: ({ id }) => ({ __typename: 'User', id }),
  files: async (user, args, { viewer, em, loaders }) => {
    if (!viewer || viewer.id !== user.id) throw forbidden('Only the user themself can list their files');
    const limit = pageSize(args.first, 'first', 20);
    const after = args.after ? decodeCursor(args.after, 'after', isCreatedCursor) : undefined;
    const rows = await reads.filesOf(em, user.id, { after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    for (const file of page) loaders.file.prime(file.id, file);
    const edges = page.map((node) => ({ cursor: encodeCursor({ at: new Date(node.createdAt).toISOString(), id: node.id }), node }));
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
