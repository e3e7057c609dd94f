import { requireViewer } from '@finder/platform/auth';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  me: (_root, _args, { viewer, loaders }) => (viewer ? loaders.userById.load(viewer.id) : null),
  user: (_root, { id }, { viewer, loaders }) => {
    requireViewer(viewer);
    return loaders.userById.load(id);
  },
};
