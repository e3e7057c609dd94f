import { requireViewer } from '@finder/platform/auth';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  searchProfessionals: (_root, args, { viewer, em, search }) => {
    requireViewer(viewer);
    return search(em, args);
  },
  engagementRequests: (_root, args, { viewer, em, engagements }) => engagements.list(em, requireViewer(viewer), args),
  engagementRequest: (_root, { id }, { viewer, em, engagements }) => engagements.get(em, requireViewer(viewer), id),
  notifications: (_root, args, { viewer, em, notifications }) => notifications.list(em, requireViewer(viewer), args),
};
