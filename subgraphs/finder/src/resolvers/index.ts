import { DateTime } from '@finder/platform/server';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { BusinessProfile } from './business-profile.ts';
import { EngagementRequest } from './engagement-request.ts';
import { Mutation } from './mutation.ts';
import { Notification } from './notification.ts';
import { ProfessionalProfile } from './professional-profile.ts';
import { Query } from './query.ts';
import { Review } from './review.ts';
import { Subscription } from './subscription.ts';
import { User } from './user.ts';

export const resolvers: Resolvers = {
  DateTime,
  Query,
  Mutation,
  Subscription,
  User,
  ProfessionalProfile,
  BusinessProfile,
  EngagementRequest,
  Review,
  Notification,
};
