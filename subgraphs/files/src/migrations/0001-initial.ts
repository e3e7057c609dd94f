import { Migration } from '@finder/platform/data';
import { processedEventsSql } from '@finder/platform/write';

export class Migration0001Initial extends Migration {
  override name = '0001-initial';

  override up(): void {
    // The schema exists already: the superuser creates it for the subgraph's role, which owns it and
    // runs this (infra/postgres/service-role.sql), or the migrator does, for its table (orm.ts).
    this.addSql(`create table files.files (
      id uuid primary key,
      owner_id uuid not null,
      name text not null,
      mime_type text not null,
      size bigint not null,
      sha256 text,
      status text not null check (status in ('PENDING_UPLOAD', 'READY', 'REJECTED', 'DELETED')),
      rejection_reason text,
      storage_key text not null,
      upload_expires_at timestamptz not null,
      source_conversion_id uuid unique,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      deleted_at timestamptz)`);
    this.addSql('create index files_owner_idx on files.files (owner_id, created_at desc, id desc)');
    this.addSql(`create table files.conversions (
      id uuid primary key,
      file_id uuid not null references files.files (id),
      requester_id uuid not null,
      target text not null,
      status text not null check (status in ('QUEUED', 'RUNNING', 'DONE', 'FAILED')),
      progress real not null default 0,
      output_file_id uuid not null unique,
      error text,
      version integer not null,
      created_at timestamptz not null,
      updated_at timestamptz not null)`);
    this.addSql('create index conversions_file_idx on files.conversions (file_id, created_at)');
    // Every state a conversion went through: conversionUpdated replays it, so no state is missed.
    this.addSql(`create table files.conversion_states (
      conversion_id uuid not null references files.conversions (id) on delete cascade,
      version integer not null,
      state jsonb not null,
      primary key (conversion_id, version))`);
    // Written by the chat projector only (from chat.events): who is in which conversation, and
    // which files were shared into it. Files never reads chat's tables.
    this.addSql(`create table files.conversation_participants (
      conversation_id uuid not null,
      user_id uuid not null,
      primary key (conversation_id, user_id))`);
    this.addSql('create index conversation_participants_user_idx on files.conversation_participants (user_id, conversation_id)');
    this.addSql(`create table files.file_shares (
      file_id uuid not null,
      conversation_id uuid not null,
      message_id uuid not null,
      shared_by uuid not null,
      shared_at timestamptz not null,
      primary key (file_id, conversation_id))`);
    this.addSql('create index file_shares_conversation_idx on files.file_shares (conversation_id)');
    for (const sql of processedEventsSql('files')) this.addSql(sql);
  }
}
