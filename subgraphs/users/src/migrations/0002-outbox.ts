import { Migration } from '@finder/platform/data';
import { outboxSql } from '@finder/platform/write';

/** The outbox the persister writes users' facts to (packages/platform/src/write/outbox.ts). */
export class Migration0002Outbox extends Migration {
  override name = '0002-outbox';

  override up(): void {
    for (const sql of outboxSql('users')) this.addSql(sql);
  }
}
