import { ErrorCode } from '@finder/platform/config';
import { uuidv7 } from '@finder/platform/data';
import { type ApplyContext, type ApplyResult, reject } from '@finder/platform/write';
import type { EngagementStatus, NotificationKind, Specialty } from './entities/index.ts';
import type { EngagementTransition, FinderEvent } from './events/finder-events.ts';
import { finderFacts } from './events/finder-facts.ts';
import { postingsColumns, selectPostingsSql } from './services/search-postings.ts';
import { specialtyTerms } from './services/specialties.ts';
import { notificationAdded } from './triggers.ts';

type Em = ApplyContext['em'];

/**
 * Applies one finder event inside the persister's batch transaction. The persister is the single
 * writer: the engagement state machine (PENDING → ACCEPTED | DECLINED | WITHDRAWN, once), one
 * pending request per pair, one review per engagement and the per-user notification sequence are
 * all decided here, whatever the resolvers saw when they read.
 */
export async function applyFinderEvent(ctx: ApplyContext, event: FinderEvent): Promise<ApplyResult> {
  const { em } = ctx;
  const at = event.occurredAt;
  switch (event.type) {
    case 'professional_profile.upserted': {
      await upsertProfessionalProfiles(em, [{ ...event.data, at }]);
      return;
    }
    case 'business_profile.upserted': {
      await upsertBusinessProfiles(em, [{ ...event.data, at }]);
      return;
    }
    case 'engagement.requested': {
      const d = event.data;
      const inserted = await em.execute<{ id: string }[]>(
        `insert into finder.engagement_requests (id, business_id, professional_id, message, status, created_at, updated_at)
         select ?, ?, ?, ?, 'PENDING', ?, ? where exists (select 1 from finder.professional_profiles where user_id = ?)
         on conflict do nothing returning id`,
        [d.engagementId, d.businessId, d.professionalId, d.message, at, at, d.professionalId],
      );
      if (inserted.length === 0) {
        const profile = await em.execute(`select 1 from finder.professional_profiles where user_id = ?`, [d.professionalId]);
        if (profile.length === 0) return reject(ErrorCode.NOT_FOUND, 'Professional not found', { field: 'input.professionalId' });
        return reject(ErrorCode.CONFLICT, 'You already have a pending request with this professional', { field: 'input.professionalId' });
      }
      const company = await em.execute<{ company_name: string }[]>(`select company_name from finder.business_profiles where user_id = ?`, [d.businessId]);
      await addNotification(ctx, d.professionalId, at, {
        kind: 'ENGAGEMENT_REQUESTED',
        title: 'New engagement request',
        body: `${company[0]?.company_name ?? 'A business'}: ${excerpt(d.message)}`,
        engagementId: d.engagementId,
      });
      return { result: { engagementId: d.engagementId } };
    }
    case 'engagement.accept_requested':
    case 'engagement.decline_requested':
    case 'engagement.withdraw_requested':
      return transition(ctx, event, at);
    case 'review.submitted': {
      const d = event.data;
      const inserted = await em.execute<{ id: string }[]>(
        `insert into finder.reviews (id, engagement_id, author_id, professional_id, rating, comment, created_at)
         select ?, e.id, e.business_id, e.professional_id, ?, ?, ?
           from finder.engagement_requests e
          where e.id = ? and e.business_id = ? and e.professional_id = ? and e.status = 'ACCEPTED'
         on conflict (engagement_id) do nothing returning id`,
        [d.reviewId, d.rating, d.comment, at, d.engagementId, d.authorId, d.professionalId],
      );
      if (inserted.length === 0) {
        const existing = await em.execute(`select 1 from finder.reviews where engagement_id = ?`, [d.engagementId]);
        if (existing.length > 0) return reject(ErrorCode.CONFLICT, 'This engagement has already been reviewed', { field: 'input.engagementId' });
        return reject(ErrorCode.CONFLICT, 'Only an accepted engagement can be reviewed', { field: 'input.engagementId' });
      }
      // An increment under the row lock: concurrent reviews of one professional add up exactly.
      await em.execute(
        `update finder.professional_profiles set rating_sum = rating_sum + ?, review_count = review_count + 1 where user_id = ?`,
        [d.rating, d.professionalId],
      );
      await addNotification(ctx, d.professionalId, at, {
        kind: 'REVIEW_RECEIVED',
        title: 'New review',
        body: `You received a ${d.rating}-star review.`,
        engagementId: d.engagementId,
      });
      return { result: { reviewId: d.reviewId } };
    }
    case 'message_notification.requested': {
      const d = event.data;
      // One unread notification per conversation: a burst of messages is one thing to look at.
      const unread = await em.execute(
        `select 1 from finder.notifications where user_id = ? and conversation_id = ? and read_at is null limit 1`,
        [d.userId, d.conversationId],
      );
      if (unread.length > 0) return;
      await addNotification(ctx, d.userId, at, {
        kind: 'NEW_MESSAGE',
        title: 'New message',
        body: d.preview,
        engagementId: null,
        conversationId: d.conversationId,
      });
      return;
    }
    case 'notifications.read': {
      const updated = await em.execute<{ seq: number }[]>(
        `update finder.notifications set read_at = ? where user_id = ? and seq <= ? and read_at is null returning seq`,
        [at, event.data.userId, event.data.upToSeq],
      );
      return { result: { marked: updated.length } };
    }
  }
}

const TRANSITIONS: Record<EngagementTransition['type'], { to: EngagementStatus; by: 'business' | 'professional' }> = {
  'engagement.accept_requested': { to: 'ACCEPTED', by: 'professional' },
  'engagement.decline_requested': { to: 'DECLINED', by: 'professional' },
  'engagement.withdraw_requested': { to: 'WITHDRAWN', by: 'business' },
};

async function transition(ctx: ApplyContext, event: EngagementTransition, at: string): Promise<ApplyResult> {
  const d = event.data;
  const { to, by } = TRANSITIONS[event.type];
  // Only a pending request moves, and only by the side allowed to move it: of two concurrent
  // responses the first applied wins and the second finds the request no longer pending.
  const updated = await ctx.em.execute<{ id: string }[]>(
    `update finder.engagement_requests set status = ?, responded_at = ?, updated_at = ?
      where id = ? and business_id = ? and professional_id = ? and status = 'PENDING' and ${by}_id = ?
      returning id`,
    [to, at, at, d.engagementId, d.businessId, d.professionalId, event.actorId],
  );
  if (updated.length === 0) {
    const current = await ctx.em.execute<{ status: string }[]>(`select status from finder.engagement_requests where id = ?`, [d.engagementId]);
    if (current.length === 0) return reject(ErrorCode.NOT_FOUND, 'Engagement request not found', { field: 'input.id' });
    if (current[0]!.status === 'PENDING') return reject(ErrorCode.FORBIDDEN, `Only the ${by} of this request can do that`);
    return reject(ErrorCode.CONFLICT, `This request is already ${current[0]!.status.toLowerCase()}`, { field: 'input.id', status: current[0]!.status });
  }
  if (to === 'WITHDRAWN') {
    await addNotification(ctx, d.professionalId, at, {
      kind: 'ENGAGEMENT_WITHDRAWN',
      title: 'Engagement request withdrawn',
      body: 'A business withdrew its request.',
      engagementId: d.engagementId,
    });
  } else {
    const accepted = to === 'ACCEPTED';
    await addNotification(ctx, d.businessId, at, {
      kind: accepted ? 'ENGAGEMENT_ACCEPTED' : 'ENGAGEMENT_DECLINED',
      title: accepted ? 'Engagement accepted' : 'Engagement declined',
      body: accepted ? 'The professional accepted your request; you can start the conversation.' : 'The professional declined your request.',
      engagementId: d.engagementId,
    });
    // Only now, with the transition applied, may the others act on it (chat opens the conversation).
    if (accepted) ctx.emit(finderFacts.topic, finderFacts.derive('engagement.accepted', event, { aggregateId: d.engagementId, data: d }));
  }
  return;
}

interface NewNotification {
  kind: NotificationKind;
  title: string;
  body: string;
  engagementId: string | null;
  conversationId?: string | null;
}

/**
 * Adds a notification with the user's next seq, in the event's transaction (exactly once with it),
 * and queues its publication for after the commit.
 */
async function addNotification(ctx: ApplyContext, userId: string, at: string, n: NewNotification): Promise<void> {
  // The counter row's lock is held until commit, so a concurrent batch takes the next number only
  // once this one is visible: numbers are dense and become visible in order.
  const [counter] = await ctx.em.execute<{ last_seq: number }[]>(
    `insert into finder.notification_counters (user_id, last_seq) values (?, 1)
     on conflict (user_id) do update set last_seq = finder.notification_counters.last_seq + 1
     returning last_seq`,
    [userId],
  );
  const notification = { id: uuidv7(), userId, seq: counter!.last_seq, ...n, conversationId: n.conversationId ?? null, createdAt: at, readAt: null };
  await ctx.em.execute(
    `insert into finder.notifications (id, user_id, seq, kind, title, body, engagement_id, conversation_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [notification.id, userId, notification.seq, n.kind, n.title, n.body, n.engagementId, notification.conversationId, at],
  );
  ctx.publish(notificationAdded(userId), notification);
}

const excerpt = (text: string, max = 160) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export interface ProfessionalProfileRow {
  userId: string;
  headline: string;
  bio: string;
  specialties: Specialty[];
  hourlyRate: number;
  currency: string;
  location: string | null;
  remote: boolean;
  yearsExperience: number;
  at: string;
}

/**
 * Inserts or replaces professional profiles (keeping their reviews), their search postings, and
 * adds their words to the search vocabulary. Used by the persister one at a time and by the bulk seed many at a time.
 */
export async function upsertProfessionalProfiles(em: Em, rows: ProfessionalProfileRow[]): Promise<void> {
  if (rows.length === 0) return;
  // One array per column and unnest: a statement of constant size however many rows (a VALUES
  // list of thousands of rows costs more to parse and plan than to insert).
  await em.execute(
    `insert into finder.professional_profiles
       (user_id, headline, bio, specialties, specialty_terms, hourly_rate, currency, location, remote, years_experience, created_at, updated_at)
     select user_id, headline, bio, string_to_array(specialties, ','), specialty_terms, hourly_rate, currency, location, remote, years_experience, at, at
       from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[], ?::text[], ?::text[], ?::boolean[], ?::int[], ?::timestamptz[])
         as r(user_id, headline, bio, specialties, specialty_terms, hourly_rate, currency, location, remote, years_experience, at)
     on conflict (user_id) do update set
       headline = excluded.headline, bio = excluded.bio, specialties = excluded.specialties,
       specialty_terms = excluded.specialty_terms, hourly_rate = excluded.hourly_rate, currency = excluded.currency,
       location = excluded.location, remote = excluded.remote, years_experience = excluded.years_experience,
       updated_at = excluded.updated_at`,
    [
      pgArray(rows.map((r) => r.userId)),
      pgArray(rows.map((r) => r.headline)),
      pgArray(rows.map((r) => r.bio)),
      pgArray(rows.map((r) => r.specialties.join(','))),
      pgArray(rows.map((r) => specialtyTerms(r.specialties))),
      pgArray(rows.map((r) => r.hourlyRate)),
      pgArray(rows.map((r) => r.currency)),
      pgArray(rows.map((r) => r.location)),
      pgArray(rows.map((r) => r.remote)),
      pgArray(rows.map((r) => r.yearsExperience)),
      pgArray(rows.map((r) => r.at)),
    ],
  );
  // The one-word scores and filter copies follow the profile they came from, in the same transaction.
  const userIds = pgArray(rows.map((r) => r.userId));
  await em.execute('delete from finder.search_postings where user_id = any(?::uuid[])', [userIds]);
  await em.execute(`insert into finder.search_postings (${postingsColumns}) ${selectPostingsSql} where p.user_id = any(?::uuid[])`, [userIds]);

  const text = rows.map((r) => `${r.headline} ${r.bio} ${specialtyTerms(r.specialties)} ${r.location ?? ''}`).join(' ');
  const missing = await em.execute<{ term: string }[]>(
    `select t as term from (select distinct t from regexp_split_to_table(lower(?), '[^[:alnum:]]+') as t where length(t) between 3 and 40) words
      where not exists (select 1 from finder.search_terms s where s.term = words.t) order by t`,
    [text],
  );
  if (missing.length === 0) return;
  // New words are rare once the vocabulary has grown; batches that bring some take turns, so two
  // batches never wait on each other's uncommitted words (which deadlocks).
  await em.execute('select pg_advisory_xact_lock(?)', [SEARCH_TERMS_LOCK]);
  await em.execute(`insert into finder.search_terms (term) select unnest(?::text[]) on conflict do nothing`, [pgArray(missing.map((m) => m.term))]);
}

/** Advisory lock key of the search vocabulary (any constant unique to it). */
const SEARCH_TERMS_LOCK = 7_246_001;

/** A Postgres array literal: every element quoted and escaped, nulls as NULL. */
export function pgArray(values: readonly (string | number | boolean | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(',')}}`;
}

export interface BusinessProfileRow {
  userId: string;
  companyName: string;
  industry: string | null;
  size: string | null;
  at: string;
}

export async function upsertBusinessProfiles(em: Em, rows: BusinessProfileRow[]): Promise<void> {
  if (rows.length === 0) return;
  await em.execute(
    `insert into finder.business_profiles (user_id, company_name, industry, size, created_at, updated_at)
     values ${rows.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}
     on conflict (user_id) do update set
       company_name = excluded.company_name, industry = excluded.industry, size = excluded.size, updated_at = excluded.updated_at`,
    rows.flatMap((r) => [r.userId, r.companyName, r.industry, r.size, r.at, r.at]),
  );
}
