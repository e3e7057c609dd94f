import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { searchProfessionals } from '../services/search.ts';
import { signedIn } from './auth.ts';

export const Query: QueryResolvers = {
  searchProfessionals: (_root, args, { viewer, em }) => {
    signedIn(viewer);
    return searchProfessionals(em, args);
  },
  engagementRequests: (_root, args, { viewer, em, engagements }) => engagements.list(em, signedIn(viewer), args),
  engagementRequest: (_root, { id }, { viewer, em, engagements }) => engagements.get(em, signedIn(viewer), id),
  notifications: (_root, args, { viewer, em, notifications }) => notifications.list(em, signedIn(viewer), args),
};
