import { Migration } from '@finder/platform/data';

/** Notifications of missed chat messages point at their conversation (owned by chat). */
export class Migration0004MessageNotifications extends Migration {
  override name = '0004-message-notifications';

  override up(): void {
    this.addSql('alter table finder.notifications add column conversation_id uuid');
  }
}
