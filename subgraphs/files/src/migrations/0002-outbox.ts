import { Migration } from '@finder/platform/orm';
import { outboxSql } from '@finder/platform/outbox';

/** The outbox the persister writes files' facts to (packages/platform/src/outbox.ts). */
export class Migration0002Outbox extends Migration {
  override name = '0002-outbox';

  override up(): void {
    for (const sql of outboxSql('files')) this.addSql(sql);
  }
}
