import type { FilesFact } from '@finder/platform/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Projects files.facts into `chat.files`, so chat checks attachments without reading files'
 * tables. Only applied changes arrive (facts come from files' outbox). Idempotent and
 * order-tolerant: a deletion sticks even if the relay delivers it before the file's `file.ready`.
 */
export function createFileProjectorHandler(deps: { em: EntityManager }) {
  return async function handle(fact: FilesFact): Promise<void> {
    const em = deps.em.fork();
    const d = fact.data;
    if (fact.type === 'file.ready') {
      await em.execute('insert into chat.files (id, owner_id) values (?, ?) on conflict do nothing', [d.fileId, d.ownerId]);
      return;
    }
    await em.execute(
      `insert into chat.files (id, owner_id, deleted_at) values (?, ?, ?)
       on conflict (id) do update set deleted_at = coalesce(chat.files.deleted_at, excluded.deleted_at)`,
      [d.fileId, d.ownerId, fact.occurredAt],
    );
  };
}
