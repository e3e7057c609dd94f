/** The shapes resolvers work with, as services/reads.ts selects them or the persister publishes them. */
export const SPECIALTIES = ['ACCOUNTING', 'TAX', 'CFO', 'REVENUE', 'BOOKKEEPING', 'AUDIT', 'PAYROLL', 'FPA'] as const;
export type Specialty = (typeof SPECIALTIES)[number];

export const ENGAGEMENT_STATUSES = ['PENDING', 'ACCEPTED', 'DECLINED', 'WITHDRAWN'] as const;
export type EngagementStatus = (typeof ENGAGEMENT_STATUSES)[number];

/** The closed set of `Notification.kind` (the NotificationKind enum of the schema). */
export const NOTIFICATION_KINDS = [
  'ENGAGEMENT_REQUESTED',
  'ENGAGEMENT_ACCEPTED',
  'ENGAGEMENT_DECLINED',
  'ENGAGEMENT_WITHDRAWN',
  'REVIEW_RECEIVED',
  'NEW_MESSAGE',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** A professional's public profile; `specialty_terms` and `search_vector` are left to search's SQL. */
export interface ProfessionalProfileModel {
  userId: string;
  headline: string;
  bio: string;
  specialties: Specialty[];
  hourlyRate: number;
  currency: string;
  location: string | null;
  remote: boolean;
  yearsExperience: number;
  ratingSum: number;
  reviewCount: number;
  createdAt: Date | string;
  updatedAt: Date | string;
}

export interface BusinessProfileModel {
  userId: string;
  companyName: string;
  industry: string | null;
  size: string | null;
  createdAt: Date | string;
  updatedAt: Date | string;
}

export interface EngagementRequestModel {
  id: string;
  businessId: string;
  professionalId: string;
  message: string;
  status: EngagementStatus;
  createdAt: Date | string;
  respondedAt: Date | string | null;
  updatedAt: Date | string;
}

export interface ReviewModel {
  id: string;
  engagementId: string;
  authorId: string;
  professionalId: string;
  rating: number;
  comment: string | null;
  createdAt: Date | string;
}

export interface NotificationModel {
  id: string;
  userId: string;
  seq: number;
  kind: NotificationKind;
  title: string;
  body: string;
  engagementId: string | null;
  conversationId: string | null;
  createdAt: Date | string;
  readAt: Date | string | null;
}

/** A reference to a User entity owned by the users subgraph; finder knows only the id. */
export interface UserReference {
  __typename?: 'User';
  id: string;
}

export const userRef = (id: string): UserReference => ({ __typename: 'User', id });

/** A reference to a Conversation entity owned by the chat subgraph (which authorizes its reads). */
export interface ConversationReference {
  __typename?: 'Conversation';
  id: string;
}

export const conversationRef = (id: string): ConversationReference => ({ __typename: 'Conversation', id });
