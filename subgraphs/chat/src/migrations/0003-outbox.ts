import { Migration } from '@finder/platform/orm';
import { outboxSql } from '@finder/platform/outbox';

/** The outbox the persister writes chat's facts to (packages/platform/src/outbox.ts). */
export class Migration0003Outbox extends Migration {
  override name = '0003-outbox';

  override up(): void {
    for (const sql of outboxSql('chat')) this.addSql(sql);
  }
}
