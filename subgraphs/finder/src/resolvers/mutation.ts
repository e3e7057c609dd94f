import { requireViewer } from '@finder/platform/auth';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  upsertProfessionalProfile: (_root, { input }, { viewer, em, profiles }) => profiles.upsertProfessional(em, requireViewer(viewer), input),
  upsertBusinessProfile: (_root, { input }, { viewer, em, profiles }) => profiles.upsertBusiness(em, requireViewer(viewer), input),
  requestEngagement: (_root, { input }, { viewer, em, engagements }) => engagements.request(em, requireViewer(viewer), input),
  respondToEngagement: (_root, { input }, { viewer, em, engagements }) => engagements.respond(em, requireViewer(viewer), input),
  withdrawEngagement: (_root, { input }, { viewer, em, engagements }) => engagements.withdraw(em, requireViewer(viewer), input),
  submitReview: (_root, { input }, { viewer, em, engagements }) => engagements.review(em, requireViewer(viewer), input),
  markNotificationsRead: (_root, { upToSeq, idempotencyKey }, { viewer, notifications }) =>
    notifications.markRead(requireViewer(viewer), upToSeq, idempotencyKey),
};
