import { defineEvents, type EventOf } from '@finder/platform/events';
import { z } from 'zod';
import { SPECIALTIES } from '../entities/professional-profile.entity.ts';

/**
 * The finder subgraph's event contract: produced by its resolvers (and the seed), consumed by its
 * persister and by other subgraphs (chat opens a conversation on `engagement.accepted`).
 * Profile events are keyed by the user id, engagement and review events by the engagement id,
 * notification events by the user id.
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
  /** The professional said yes. Chat consumes this to open the conversation of the two users. */
  'engagement.accepted': z.object({ engagementId: z.uuid(), businessId: z.uuid(), professionalId: z.uuid() }),
  'engagement.declined': z.object({ engagementId: z.uuid(), businessId: z.uuid(), professionalId: z.uuid() }),
  'engagement.withdrawn': z.object({ engagementId: z.uuid(), businessId: z.uuid(), professionalId: z.uuid() }),
  'review.submitted': z.object({
    reviewId: z.uuid(),
    engagementId: z.uuid(),
    authorId: z.uuid(),
    professionalId: z.uuid(),
    rating: z.number().int().min(1).max(5),
    comment: z.string().nullable(),
  }),
  'notifications.read': z.object({ userId: z.uuid(), upToSeq: z.number().int().min(0) }),
});

export type FinderEvent = EventOf<typeof finderEvents.schemas>;
export type EngagementTransition = Extract<FinderEvent, { type: 'engagement.accepted' | 'engagement.declined' | 'engagement.withdrawn' }>;
