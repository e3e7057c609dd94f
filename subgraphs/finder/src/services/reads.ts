import { query } from '@finder/platform/data';
import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  BusinessProfileModel,
  EngagementRequestModel,
  EngagementStatus,
  NotificationModel,
  ProfessionalProfileModel,
  ReviewModel,
} from '../models.ts';

/** The one mapping of each table's row to its model (search.ts selects profiles with its own ranking). */
const PROFESSIONAL = `user_id as "userId", headline, bio, specialties, hourly_rate as "hourlyRate", currency, location, remote,
  years_experience as "yearsExperience", rating_sum as "ratingSum", review_count as "reviewCount", created_at as "createdAt", updated_at as "updatedAt"`;
const BUSINESS = `user_id as "userId", company_name as "companyName", industry, size, created_at as "createdAt", updated_at as "updatedAt"`;
const ENGAGEMENT = `id, business_id as "businessId", professional_id as "professionalId", message, status, created_at as "createdAt",
  responded_at as "respondedAt", updated_at as "updatedAt"`;
const REVIEW = `id, engagement_id as "engagementId", author_id as "authorId", professional_id as "professionalId", rating, comment, created_at as "createdAt"`;
const NOTIFICATION = `id, user_id as "userId", seq, kind, title, body, engagement_id as "engagementId", conversation_id as "conversationId",
  created_at as "createdAt", read_at as "readAt"`;

/** Plain SQL with bound parameters: every read of finder's request path except search (search.ts). */
export const reads = {
  professionalProfiles: (em: EntityManager, userIds: readonly string[]) =>
    query<ProfessionalProfileModel>(em, `select ${PROFESSIONAL} from finder.professional_profiles where user_id = any($1::uuid[])`, [[...userIds]]),
  businessProfiles: (em: EntityManager, userIds: readonly string[]) =>
    query<BusinessProfileModel>(em, `select ${BUSINESS} from finder.business_profiles where user_id = any($1::uuid[])`, [[...userIds]]),
  engagements: (em: EntityManager, ids: readonly string[]) =>
    query<EngagementRequestModel>(em, `select ${ENGAGEMENT} from finder.engagement_requests where id = any($1::uuid[])`, [[...ids]]),
  async engagement(em: EntityManager, id: string): Promise<EngagementRequestModel | null> {
    return (await reads.engagements(em, [id]))[0] ?? null;
  },
  /** A user's requests (as business or professional), newest first: ids are UUIDv7, so id order is creation order. */
  engagementsOf: (em: EntityManager, userId: string, page: { status: EngagementStatus | null; before: string | null; limit: number }) =>
    query<EngagementRequestModel>(
      em,
      `select ${ENGAGEMENT} from finder.engagement_requests
        where (business_id = $1 or professional_id = $1)
          and ($2::text is null or status = $2) and ($3::uuid is null or id < $3)
        order by id desc limit $4`,
      [userId, page.status, page.before, page.limit],
    ),
  async hasPendingRequest(em: EntityManager, businessId: string, professionalId: string): Promise<boolean> {
    const rows = await query(
      em,
      `select 1 from finder.engagement_requests where business_id = $1 and professional_id = $2 and status = 'PENDING' limit 1`,
      [businessId, professionalId],
    );
    return rows.length > 0;
  },
  reviewsOfEngagements: (em: EntityManager, engagementIds: readonly string[]) =>
    query<ReviewModel>(em, `select ${REVIEW} from finder.reviews where engagement_id = any($1::uuid[])`, [[...engagementIds]]),
  async review(em: EntityManager, id: string): Promise<ReviewModel | null> {
    const [row] = await query<ReviewModel>(em, `select ${REVIEW} from finder.reviews where id = $1`, [id]);
    return row ?? null;
  },
  /** A user's notifications, newest first, with seq below `before` when given. */
  notificationsOf: (em: EntityManager, userId: string, page: { before: number | null; limit: number }) =>
    query<NotificationModel>(
      em,
      `select ${NOTIFICATION} from finder.notifications where user_id = $1 and ($2::int is null or seq < $2) order by seq desc limit $3`,
      [userId, page.before, page.limit],
    ),
  /** Notifications with seq above `after`, oldest first: the replay of notificationAdded. */
  notificationsAfter: (em: EntityManager, userId: string, after: number, limit: number) =>
    query<NotificationModel>(em, `select ${NOTIFICATION} from finder.notifications where user_id = $1 and seq > $2 order by seq limit $3`, [
      userId,
      after,
      limit,
    ]),
  async unreadNotifications(em: EntityManager, userId: string): Promise<number> {
    const [row] = await query<{ n: number }>(em, 'select count(*)::int as n from finder.notifications where user_id = $1 and read_at is null', [userId]);
    return row?.n ?? 0;
  },
  async lastNotificationSeq(em: EntityManager, userId: string): Promise<number> {
    const [row] = await query<{ n: number }>(em, 'select coalesce(max(seq), 0)::int as n from finder.notifications where user_id = $1', [userId]);
    return row?.n ?? 0;
  },
};
