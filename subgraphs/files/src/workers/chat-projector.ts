import type { ChatFact } from '@finder/platform/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Projects chat's facts into files' own tables, so files authorizes shared files without reading
 * chat's tables: who takes part in which conversation (`conversation.started`), and which files
 * were attached to a message chat stored (`attachments.shared`; a message chat refused shares
 * nothing).
 *
 * The sharing rule: an attachment grants the conversation's participants access to the file only
 * when the sender is a participant of that conversation (as projected here) and, when the message
 * is projected, the file is READY and either the sender owns it, or the sender could already see
 * it through another conversation they take part in (forwarding what was shared with you). Any
 * other attachment id grants nothing: naming someone else's file id cannot expose it. Everything
 * is an idempotent insert, so redelivery is harmless.
 */
export function createChatProjectorHandler(deps: { em: EntityManager }) {
  return async function handle(event: ChatFact): Promise<void> {
    const em = deps.em.fork();
    if (event.type === 'conversation.started') {
      await em.execute(
        `insert into files.conversation_participants (conversation_id, user_id)
         select ?::uuid, u::uuid from jsonb_array_elements_text(?::jsonb) as t(u) on conflict do nothing`,
        [event.data.conversationId, JSON.stringify(event.data.participantIds)],
      );
      return;
    }
    if (event.type !== 'attachments.shared') return;
    const d = event.data;
    await em.execute(
      `insert into files.file_shares (file_id, conversation_id, message_id, shared_by, shared_at)
       select f.id, ?::uuid, ?::uuid, ?::uuid, ?::timestamptz from files.files f
       where f.id in (?) and f.status = 'READY'
         and exists (select 1 from files.conversation_participants p where p.conversation_id = ? and p.user_id = ?)
         and (f.owner_id = ? or exists (
           select 1 from files.file_shares s
           join files.conversation_participants p on p.conversation_id = s.conversation_id and p.user_id = ?
           where s.file_id = f.id))
       on conflict do nothing`,
      [d.conversationId, d.messageId, d.senderId, d.sharedAt, d.fileIds, d.conversationId, d.senderId, d.senderId, d.senderId],
    );
  };
}
