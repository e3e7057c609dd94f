import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConversationModel, MessageModel, ParticipantModel } from '../models.ts';

type ConversationRow = { id: string; created_by: string; last_seq: number; last_activity_at: Date; created_at: Date };
type MessageRow = { id: string; conversation_id: string; seq: number; sender_id: string; body: string; attachment_ids: string[]; created_at: Date };

export const toConversation = (r: ConversationRow): ConversationModel => ({
  id: r.id,
  createdBy: r.created_by,
  lastSeq: r.last_seq,
  lastActivityAt: r.last_activity_at,
  createdAt: r.created_at,
});

export const toMessage = (r: MessageRow): MessageModel => ({
  id: r.id,
  conversationId: r.conversation_id,
  seq: r.seq,
  senderId: r.sender_id,
  body: r.body,
  attachmentIds: r.attachment_ids ?? [],
  createdAt: r.created_at,
});

/** Batched reads behind the DataLoaders: one query per kind, whatever the number of keys. */
export const reads = {
  async conversations(em: EntityManager, ids: readonly string[]): Promise<ConversationModel[]> {
    return (await em.execute<ConversationRow[]>('select * from chat.conversations where id in (?)', [[...ids]])).map(toConversation);
  },
  async participants(em: EntityManager, conversationIds: readonly string[]): Promise<ParticipantModel[]> {
    return (
      await em.execute<{ conversation_id: string; user_id: string; last_read_seq: number }[]>(
        'select conversation_id, user_id, last_read_seq from chat.participants where conversation_id in (?) order by joined_at, user_id',
        [[...conversationIds]],
      )
    ).map((r) => ({ conversationId: r.conversation_id, userId: r.user_id, lastReadSeq: r.last_read_seq }));
  },
  /** The newest message of each conversation, found through (conversation_id, seq) = last_seq. */
  async lastMessages(em: EntityManager, conversationIds: readonly string[]): Promise<MessageModel[]> {
    return (
      await em.execute<MessageRow[]>(
        `select m.* from chat.messages m join chat.conversations c on c.id = m.conversation_id and m.seq = c.last_seq
         where c.id in (?)`,
        [[...conversationIds]],
      )
    ).map(toMessage);
  },
  async messages(em: EntityManager, ids: readonly string[]): Promise<MessageModel[]> {
    return (await em.execute<MessageRow[]>('select * from chat.messages where id in (?)', [[...ids]])).map(toMessage);
  },
  /** Messages with seq in (after, before), ascending or descending, at most `limit`. */
  async messagePage(
    em: EntityManager,
    conversationId: string,
    range: { after?: number; before?: number; limit: number; descending: boolean },
  ): Promise<MessageModel[]> {
    return (
      await em.execute<MessageRow[]>(
        `select * from chat.messages where conversation_id = ? and seq > ? and seq < ?
         order by seq ${range.descending ? 'desc' : 'asc'} limit ?`,
        [conversationId, range.after ?? 0, range.before ?? 2_147_483_647, range.limit],
      )
    ).map(toMessage);
  },
  async messagesAfter(em: EntityManager, conversationId: string, after: number, limit: number): Promise<MessageModel[]> {
    return reads.messagePage(em, conversationId, { after, limit, descending: false });
  },
  async lastSeq(em: EntityManager, conversationId: string): Promise<number> {
    const [row] = await em.execute<{ last_seq: number }[]>('select last_seq from chat.conversations where id = ?', [conversationId]);
    return row?.last_seq ?? 0;
  },
  async isParticipant(em: EntityManager, conversationId: string, userId: string): Promise<boolean> {
    const rows = await em.execute('select 1 from chat.participants where conversation_id = ? and user_id = ?', [conversationId, userId]);
    return rows.length > 0;
  },
  /** A user's conversations, most recently active first, after a (last_activity_at, id) cursor. */
  async conversationsOf(
    em: EntityManager,
    userId: string,
    page: { after?: { at: string; id: string }; limit: number },
  ): Promise<ConversationModel[]> {
    const after = page.after;
    return (
      await em.execute<ConversationRow[]>(
        `select c.* from chat.participants p join chat.conversations c on c.id = p.conversation_id
         where p.user_id = ? ${after ? 'and (c.last_activity_at, c.id) < (?::timestamptz, ?::uuid)' : ''}
         order by c.last_activity_at desc, c.id desc limit ?`,
        after ? [userId, after.at, after.id, page.limit] : [userId, page.limit],
      )
    ).map(toConversation);
  },
};
