import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import { signedIn } from './auth.ts';

export const Mutation: MutationResolvers = {
  upsertProfessionalProfile: (_root, { input }, { viewer, em, profiles }) => profiles.upsertProfessional(em, signedIn(viewer), input),
  upsertBusinessProfile: (_root, { input }, { viewer, em, profiles }) => profiles.upsertBusiness(em, signedIn(viewer), input),
  requestEngagement: (_root, { input }, { viewer, em, engagements }) => engagements.request(em, signedIn(viewer), input),
  respondToEngagement: (_root, { input }, { viewer, em, engagements }) => engagements.respond(em, signedIn(viewer), input),
  withdrawEngagement: (_root, { input }, { viewer, em, engagements }) => engagements.withdraw(em, signedIn(viewer), input),
  submitReview: (_root, { input }, { viewer, em, engagements }) => engagements.review(em, signedIn(viewer), input),
  markNotificationsRead: (_root, { upToSeq, idempotencyKey }, { viewer, notifications }) =>
    notifications.markRead(signedIn(viewer), upToSeq, idempotencyKey),
};
