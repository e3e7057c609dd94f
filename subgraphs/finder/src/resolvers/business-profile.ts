import type { BusinessProfileResolvers } from '../__generated__/resolvers-types.ts';
import { userRef } from '../models.ts';

export const BusinessProfile: BusinessProfileResolvers = {
  user: (profile) => userRef(profile.userId),
};
