import type { ReviewResolvers } from '../__generated__/resolvers-types.ts';
import { userRef } from '../models.ts';

export const Review: ReviewResolvers = {
  author: (review) => userRef(review.authorId),
  professional: (review) => userRef(review.professionalId),
};
