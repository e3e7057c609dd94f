import type { ProfessionalProfileResolvers } from '../__generated__/resolvers-types.ts';
import { userRef } from '../models.ts';

export const ProfessionalProfile: ProfessionalProfileResolvers = {
  user: (profile) => userRef(profile.userId),
  rating: (profile) => (profile.reviewCount > 0 ? Math.round((profile.ratingSum / profile.reviewCount) * 100) / 100 : null),
};
