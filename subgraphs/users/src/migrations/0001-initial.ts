import { Migration } from '@finder/platform/data';
import { processedEventsSql } from '@finder/platform/write';

export class Migration0001Initial extends Migration {
  override name = '0001-initial';

  override up(): void {
    // The schema exists already: the superuser creates it for the subgraph's role, which owns it and
    // runs this (infra/postgres/service-role.sql), or the migrator does, for its table (orm.ts).
    this.addSql(`create table users.users (
      id uuid primary key,
      email text not null,
      email_normalized text not null unique,
      password_hash text not null,
      password_version integer not null default 1,
      display_name text not null,
      role text not null check (role in ('BUSINESS', 'PROFESSIONAL', 'ADMIN')),
      email_verified_at timestamptz,
      avatar_file_id uuid,
      password_reset_requested_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now())`);
    this.addSql(`create table users.sessions (
      id uuid primary key,
      family_id uuid not null,
      user_id uuid not null references users.users (id) on delete cascade,
      token_hash text not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      revoked_at timestamptz,
      revoked_reason text,
      replaced_by uuid)`);
    this.addSql('create index sessions_family_id_idx on users.sessions (family_id)');
    this.addSql('create index sessions_user_id_idx on users.sessions (user_id)');
    this.addSql(`create table users.sent_mail (
      event_id uuid primary key,
      kind text not null,
      recipient text not null,
      sent_at timestamptz not null default now())`);
    for (const sql of processedEventsSql('users')) this.addSql(sql);
  }
}
