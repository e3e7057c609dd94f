import { Migration } from '@finder/platform/data';
import { processedEventsSql } from '@finder/platform/write';

export class Migration0001Initial extends Migration {
  override name = '0001-initial';

  override up(): void {
    // Trigram matching corrects typos in search text (postgresql-contrib ships it).
    this.addSql('create extension if not exists pg_trgm with schema public');
    // The schema exists already: the superuser creates it for the subgraph's role, which owns it and
    // runs this (infra/postgres/service-role.sql), or the migrator does, for its table (orm.ts).

    this.addSql(`create table finder.professional_profiles (
      user_id uuid primary key,
      headline text not null,
      bio text not null,
      specialties text[] not null check (cardinality(specialties) between 1 and 8),
      -- Words that describe the specialties ("ACCOUNTING" -> "accounting accountant"), for search only.
      specialty_terms text not null,
      hourly_rate integer not null check (hourly_rate >= 0),
      currency text not null,
      location text,
      remote boolean not null,
      years_experience integer not null check (years_experience >= 0),
      rating_sum integer not null default 0,
      review_count integer not null default 0,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      search_vector tsvector generated always as (
        setweight(to_tsvector('english', headline), 'A') ||
        setweight(to_tsvector('english', specialty_terms), 'A') ||
        setweight(to_tsvector('english', bio), 'B') ||
        setweight(to_tsvector('english', coalesce(location, '')), 'C')) stored)`);
    this.addSql('create index professional_profiles_search_idx on finder.professional_profiles using gin (search_vector)');
    this.addSql('create index professional_profiles_specialties_idx on finder.professional_profiles using gin (specialties)');
    this.addSql('create index professional_profiles_rate_idx on finder.professional_profiles (hourly_rate, user_id)');
    this.addSql('create index professional_profiles_remote_idx on finder.professional_profiles (user_id) where remote');

    // Every word of every profile: search text words that are not here are corrected to the
    // nearest ones by trigram distance (the "did you mean" table of the pg_trgm documentation).
    this.addSql('create table finder.search_terms (term text primary key)');
    this.addSql('create index search_terms_trgm_idx on finder.search_terms using gist (term public.gist_trgm_ops)');

    this.addSql(`create table finder.business_profiles (
      user_id uuid primary key,
      company_name text not null,
      industry text,
      size text,
      created_at timestamptz not null,
      updated_at timestamptz not null)`);

    this.addSql(`create table finder.engagement_requests (
      id uuid primary key,
      business_id uuid not null,
      professional_id uuid not null references finder.professional_profiles (user_id),
      message text not null,
      status text not null check (status in ('PENDING', 'ACCEPTED', 'DECLINED', 'WITHDRAWN')),
      created_at timestamptz not null,
      responded_at timestamptz,
      updated_at timestamptz not null)`);
    // One pending request per business and professional, whichever partitions the requests took.
    this.addSql(`create unique index engagement_requests_one_pending_idx on finder.engagement_requests (business_id, professional_id)
      where status = 'PENDING'`);
    this.addSql('create index engagement_requests_business_idx on finder.engagement_requests (business_id, id desc)');
    this.addSql('create index engagement_requests_professional_idx on finder.engagement_requests (professional_id, id desc)');

    this.addSql(`create table finder.reviews (
      id uuid primary key,
      engagement_id uuid not null unique references finder.engagement_requests (id),
      author_id uuid not null,
      professional_id uuid not null,
      rating smallint not null check (rating between 1 and 5),
      comment text,
      created_at timestamptz not null)`);
    this.addSql('create index reviews_professional_idx on finder.reviews (professional_id, id desc)');

    this.addSql(`create table finder.notifications (
      id uuid primary key,
      user_id uuid not null,
      seq integer not null,
      kind text not null,
      title text not null,
      body text not null,
      engagement_id uuid,
      created_at timestamptz not null,
      read_at timestamptz,
      unique (user_id, seq))`);
    this.addSql('create index notifications_unread_idx on finder.notifications (user_id, seq) where read_at is null');
    // Per-user sequence: the row lock serializes concurrent batches, so seq has no gaps or repeats.
    this.addSql(`create table finder.notification_counters (user_id uuid primary key, last_seq integer not null)`);

    for (const sql of processedEventsSql('finder')) this.addSql(sql);
  }
}
