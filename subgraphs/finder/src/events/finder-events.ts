import { defineEvents, type EventOf } from '@finder/platform/kafka';
import { z } from 'zod';
import { SPECIALTIES } from '../models.ts';

/**
 * The finder subgraph's commands: produced by its resolvers (and the seed), judged and applied by
 * its persister, which may reject them (an engagement already answered, a duplicate review). Other
 * subgraphs never act on them; they consume the facts on `finder.facts` (packages/platform/src/contracts/), which
 * exist only for what was applied. Profile events are keyed by the user id, engagement and review
 * events by the engagement id, notification events by the user id.
 */
export const finderEvents = defineEvents('finder.events', {
  'professional_profile.upserted': z.object({
    userId: z.uuid(),
    headline: z.string(),
    bio: z.string(),
    specialties: z.array(z.enum(SPECIALTIES)).min(1),
    hourlyRate: z.number().int().min(0),
    currency: z.string().length(3),
    location: z.string().nullable(),
    remote: z.boolean(),
    yearsExperience: z.number().int().min(0),
  }),
  'business_profile.upserted': z.object({
    userId: z.uuid(),
    companyName: z.string(),
    industry: z.string().nullable(),
    size: z.string().nullable(),
  }),
  'engagement.requested': z.object({
    engagementId: z.uuid(),
    businessId: z.uuid(),
    professionalId: z.uuid(),
    message: z.string(),
  }),
  /** The professional asks to accept; once applied, the persister emits the fact `engagement.accepted`. */
  'engagement.accept_requested': z.object({ engagementId: z.uuid(), businessId: z.uuid(), professionalId: z.uuid() }),
  'engagement.decline_requested': z.object({ engagementId: z.uuid(), businessId: z.uuid(), professionalId: z.uuid() }),
  'engagement.withdraw_requested': z.object({ engagementId: z.uuid(), businessId: z.uuid(), professionalId: z.uuid() }),
  'review.submitted': z.object({
    reviewId: z.uuid(),
    engagementId: z.uuid(),
    authorId: z.uuid(),
    professionalId: z.uuid(),
    rating: z.number().int().min(1).max(5),
    comment: z.string().nullable(),
  }),
  'notifications.read': z.object({ userId: z.uuid(), upToSeq: z.number().int().min(0) }),
  /** A chat message `userId` was not watching (chat's `message.missed`): notify them, unless a notification of that conversation is still unread. */
  'message_notification.requested': z.object({
    userId: z.uuid(),
    conversationId: z.uuid(),
    messageId: z.uuid(),
    senderId: z.uuid(),
    preview: z.string().max(200),
  }),
});

export type FinderEvent = EventOf<typeof finderEvents.schemas>;
export type EngagementTransition = Extract<FinderEvent, { type: 'engagement.accept_requested' | 'engagement.decline_requested' | 'engagement.withdraw_requested' }>;
