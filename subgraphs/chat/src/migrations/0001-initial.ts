import { Migration } from '@finder/platform/data';
import { processedEventsSql } from '@finder/platform/write';

export class Migration0001Initial extends Migration {
  override name = '0001-initial';

  override up(): void {
    // The schema exists already: the superuser creates it for the subgraph's role, which owns it and
    // runs this (infra/postgres/service-role.sql), or the migrator does, for its table (orm.ts).
    this.addSql(`create table chat.conversations (
      id uuid primary key,
      created_by uuid not null,
      engagement_id text unique,
      last_seq integer not null default 0,
      last_activity_at timestamptz not null,
      created_at timestamptz not null)`);
    this.addSql('create index conversations_activity_idx on chat.conversations (last_activity_at desc, id desc)');
    this.addSql(`create table chat.participants (
      conversation_id uuid not null references chat.conversations (id) on delete cascade,
      user_id uuid not null,
      last_read_seq integer not null default 0,
      joined_at timestamptz not null,
      primary key (conversation_id, user_id))`);
    this.addSql('create index participants_user_idx on chat.participants (user_id, conversation_id)');
    this.addSql(`create table chat.messages (
      id uuid primary key,
      conversation_id uuid not null references chat.conversations (id) on delete cascade,
      seq integer not null,
      sender_id uuid not null,
      body text not null,
      attachment_ids uuid[] not null default '{}',
      created_at timestamptz not null,
      unique (conversation_id, seq))`);
    for (const sql of processedEventsSql('chat')) this.addSql(sql);
  }
}
