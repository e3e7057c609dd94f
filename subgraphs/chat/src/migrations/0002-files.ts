import { Migration } from '@finder/platform/data';

/** Chat's projection of files.facts, for checking message attachments (services/attachments.ts). */
export class Migration0002Files extends Migration {
  override name = '0002-files';

  override up(): void {
    this.addSql(`create table chat.files (
      id uuid primary key,
      owner_id uuid not null,
      deleted_at timestamptz)`);
    // "Was this file attached in a conversation of the sender?"
    this.addSql('create index messages_attachments_idx on chat.messages using gin (attachment_ids)');
  }
}
