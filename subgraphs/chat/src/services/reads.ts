import { query } from '@finder/platform/data';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConversationModel, MessageModel, ParticipantModel } from '../models.ts';

/** The one mapping of each table's row to its model: the columns, named as the model names them. */
const CONVERSATION = (t: string) =>
  `${t}.id, ${t}.created_by as "createdBy", ${t}.last_seq as "lastSeq", ${t}.last_activity_at as "lastActivityAt", ${t}.created_at as "createdAt"`;
const MESSAGE = (t: string) =>
  `${t}.id, ${t}.conversation_id as "conversationId", ${t}.seq, ${t}.sender_id as "senderId", ${t}.body, ${t}.attachment_ids as "attachmentIds", ${t}.created_at as "createdAt"`;

/** Batched reads behind the DataLoaders: one query per kind, whatever the number of keys. Plain SQL, bound parameters. */
export const reads = {
  conversations: (em: EntityManager, ids: readonly string[]) =>
    query<ConversationModel>(em, `select ${CONVERSATION('c')} from chat.conversations c where c.id = any($1::uuid[])`, [[...ids]]),
  participants: (em: EntityManager, conversationIds: readonly string[]) =>
    query<ParticipantModel>(
      em,
      `select conversation_id as "conversationId", user_id as "userId", last_read_seq as "lastReadSeq"
         from chat.participants where conversation_id = any($1::uuid[]) order by joined_at, user_id`,
      [[...conversationIds]],
    ),
  /** The newest message of each conversation, found through (conversation_id, seq) = last_seq. */
  lastMessages: (em: EntityManager, conversationIds: readonly string[]) =>
    query<MessageModel>(
      em,
      `select ${MESSAGE('m')} from chat.messages m join chat.conversations c on c.id = m.conversation_id and m.seq = c.last_seq
        where c.id = any($1::uuid[])`,
      [[...conversationIds]],
    ),
  messages: (em: EntityManager, ids: readonly string[]) =>
    query<MessageModel>(em, `select ${MESSAGE('m')} from chat.messages m where m.id = any($1::uuid[])`, [[...ids]]),
  /** Messages with seq in (after, before), ascending or descending, at most `limit`. */
  messagePage: (em: EntityManager, conversationId: string, range: { after?: number; before?: number; limit: number; descending: boolean }) =>
    query<MessageModel>(
      em,
      `select ${MESSAGE('m')} from chat.messages m where m.conversation_id = $1 and m.seq > $2 and m.seq < $3
        order by m.seq ${range.descending ? 'desc' : 'asc'} limit $4`,
      [conversationId, range.after ?? 0, range.before ?? 2_147_483_647, range.limit],
    ),
  messagesAfter: (em: EntityManager, conversationId: string, after: number, limit: number) =>
    reads.messagePage(em, conversationId, { after, limit, descending: false }),
  async lastSeq(em: EntityManager, conversationId: string): Promise<number> {
    const [row] = await query<{ lastSeq: number }>(em, 'select last_seq as "lastSeq" from chat.conversations where id = $1', [conversationId]);
    return row?.lastSeq ?? 0;
  },
  async isParticipant(em: EntityManager, conversationId: string, userId: string): Promise<boolean> {
    const rows = await query(em, 'select 1 from chat.participants where conversation_id = $1 and user_id = $2', [conversationId, userId]);
    return rows.length > 0;
  },
  /** A user's conversations, most recently active first, after a (last_activity_at, id) cursor. */
  conversationsOf: (em: EntityManager, userId: string, page: { after?: { at: string; id: string }; limit: number }) =>
    query<ConversationModel>(
      em,
      `select ${CONVERSATION('c')} from chat.participants p join chat.conversations c on c.id = p.conversation_id
        where p.user_id = $1 and ($2::timestamptz is null or (c.last_activity_at, c.id) < ($2::timestamptz, $3::uuid))
        order by c.last_activity_at desc, c.id desc limit $4`,
      [userId, page.after?.at ?? null, page.after?.id ?? null, page.limit],
    ),
};
