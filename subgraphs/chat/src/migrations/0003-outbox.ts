import { Migration } from '@finder/platform/data';
import { outboxSql } from '@finder/platform/write';

/** The outbox the persister writes chat's facts to (packages/platform/src/write/outbox.ts). */
export class Migration0003Outbox extends Migration {
  override name = '0003-outbox';

  override up(): void {
    for (const sql of outboxSql('chat')) this.addSql(sql);
  }
}
