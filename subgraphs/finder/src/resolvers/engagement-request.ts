import type { EngagementRequestResolvers } from '../__generated__/resolvers-types.ts';
import { userRef } from '../models.ts';

export const EngagementRequest: EngagementRequestResolvers = {
  business: (request) => userRef(request.businessId),
  professional: (request) => userRef(request.professionalId),
  review: (request, _args, { loaders }) => loaders.reviewByEngagementId.load(request.id),
};
