import { requireViewer } from '@finder/platform/auth';
import { isUuid } from '@finder/platform/data';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  me: (_root, _args, { viewer, loaders }) => (viewer ? loaders.userById.load(viewer.id) : null),
  user: (_root, { id }, { viewer, loaders }) => {
    requireViewer(viewer);
    // Not a UUID: no such user (Postgres would refuse to compare it with the uuid column).
    return isUuid(id) ? loaders.userById.load(id) : null;
  },
};
