import { Migration } from '@finder/platform/data';

export class Migration0003Avatars extends Migration {
  override name = '0003-avatars';

  override up(): void {
    // Written by the avatar projector only (from users.facts): which file each user shows as
    // their avatar. Such a file is visible to every signed-in user, like the profile it is on.
    this.addSql(`create table files.avatars (
      user_id uuid primary key,
      file_id uuid not null)`);
    this.addSql('create index avatars_file_idx on files.avatars (file_id)');
  }
}
