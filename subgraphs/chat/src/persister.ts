import { ErrorCode } from '@finder/platform/config';
import { type ApplyContext, type ApplyResult, reject, type Rejection } from '@finder/platform/write';
import { chatFacts } from '@finder/platform/contracts';
import type { Presence } from '@finder/platform/realtime';
import { query } from '@finder/platform/data';
import type { ChatEvent } from './events/chat-events.ts';
import { attachmentProblem, unshareableAttachments } from './services/attachments.ts';
import { watchingKey } from './services/watching.ts';
import type { MessageModel } from './models.ts';
import { triggers } from './triggers.ts';

type MessageSent = Extract<ChatEvent, { type: 'message.sent' }>;

const NOT_FOUND = 'Conversation not found';

/**
 * Applies a batch of chat events in order. Runs of messages are written with one multi-row insert
 * and one update per table, their seqs assigned here, by the single writer of the conversation's
 * partition; other events flush the run first so per-conversation order holds.
 */
export function createChatApplier(deps: { watching: Presence | null }) {
  return (ctx: ApplyContext, events: ChatEvent[]) => applyChatEvents(ctx, events, deps.watching);
}

/** `watching` null: no `message.missed` facts (tests of other concerns, without the outbox). */
async function applyChatEvents(ctx: ApplyContext, events: ChatEvent[], watching: Presence | null): Promise<ApplyResult[]> {
  const results: ApplyResult[] = new Array(events.length);
  let run: { index: number; event: MessageSent }[] = [];
  const flush = async () => {
    if (run.length === 0) return;
    const written = await applyMessages(ctx, run.map((r) => r.event), watching);
    run.forEach((r, i) => (results[r.index] = written[i]));
    run = [];
  };
  for (const [index, event] of events.entries()) {
    if (event.type === 'message.sent') {
      run.push({ index, event });
      continue;
    }
    await flush();
    results[index] = event.type === 'conversation.started' ? await startConversation(ctx, event) : await markRead(ctx, event);
  }
  await flush();
  return results;
}

async function applyMessages(ctx: ApplyContext, events: MessageSent[], watching: Presence | null): Promise<ApplyResult[]> {
  const { em, publish } = ctx;
  const conversationIds = [...new Set(events.map((e) => e.data.conversationId))];
  const lastSeq = new Map<string, number>();
  const members = new Map<string, string[]>();
  // One round trip: the conversations locked (their seqs are assigned here) and their members.
  for (const row of await query<{ id: string; last_seq: number; members: string[] }>(
    em,
    `with locked as (select id, last_seq from chat.conversations where id = any($1::uuid[]) for update)
     select l.id, l.last_seq, array(select p.user_id::text from chat.participants p where p.conversation_id = l.id) as members from locked l`,
    [conversationIds],
  )) {
    lastSeq.set(row.id, row.last_seq);
    members.set(row.id, row.members);
  }

  // Attachments are re-checked by the single writer: the file may have been deleted since the resolver looked.
  const badAttachment = new Map<string, Rejection>();
  for (const event of events) {
    const ids = event.data.attachmentIds;
    if (ids.length === 0) continue;
    const [bad] = await unshareableAttachments(em, event.data.senderId, ids);
    if (bad) {
      const { message, field } = attachmentProblem(bad, ids.indexOf(bad));
      badAttachment.set(event.id, reject(ErrorCode.BAD_USER_INPUT, message, { field }));
    }
  }

  const rows: MessageModel[] = [];
  const results = events.map((event): ApplyResult => {
    const d = event.data;
    const seq = lastSeq.get(d.conversationId);
    if (seq === undefined || !members.get(d.conversationId)?.includes(d.senderId)) return reject(ErrorCode.NOT_FOUND, NOT_FOUND);
    const refused = badAttachment.get(event.id);
    if (refused) return refused;
    lastSeq.set(d.conversationId, seq + 1);
    rows.push({
      id: d.messageId,
      conversationId: d.conversationId,
      seq: seq + 1,
      senderId: d.senderId,
      body: d.body,
      attachmentIds: d.attachmentIds,
      createdAt: event.occurredAt,
    });
    return { result: { messageId: d.messageId, seq: seq + 1 } };
  });
  if (rows.length === 0) return results;

  // Each conversation's messages of the batch, in seq order: the last one sets last_seq, and
  // they go out as one publication.
  const byConversation = Map.groupBy(rows, (row) => row.conversationId);
  // A sender has read everything up to their own message.
  const readBySender = new Map<string, { conversation_id: string; user_id: string; seq: number }>();
  for (const row of rows) {
    readBySender.set(`${row.conversationId}/${row.senderId}`, { conversation_id: row.conversationId, user_id: row.senderId, seq: row.seq });
  }
  // The three writes in one statement (one round trip), while Redis says who is watching.
  const [, watched] = await Promise.all([
    query(
      em,
      `with inserted as (
         insert into chat.messages (id, conversation_id, seq, sender_id, body, attachment_ids, created_at)
         select id, "conversationId", seq, "senderId", body, array(select jsonb_array_elements_text("attachmentIds"))::uuid[], "createdAt"
         from jsonb_to_recordset($1::jsonb) as m(id uuid, "conversationId" uuid, seq int, "senderId" uuid, body text, "attachmentIds" jsonb, "createdAt" timestamptz)),
       conversations as (
         update chat.conversations c set last_seq = v.seq, last_activity_at = v.at
         from jsonb_to_recordset($2::jsonb) as v(id uuid, seq int, at timestamptz) where c.id = v.id),
       participants as (
         update chat.participants p set last_read_seq = greatest(p.last_read_seq, v.seq)
         from jsonb_to_recordset($3::jsonb) as v(conversation_id uuid, user_id uuid, seq int)
         where p.conversation_id = v.conversation_id and p.user_id = v.user_id)
       select 1`,
      [
        JSON.stringify(rows),
        JSON.stringify([...byConversation.values()].map((messages) => messages.at(-1)!).map((m) => ({ id: m.conversationId, seq: m.seq, at: m.createdAt }))),
        JSON.stringify([...readBySender.values()]),
      ],
    ),
    watching ? watching.present(missedKeys(rows, members)) : null,
  ]);

  const sourceOf = new Map(events.map((e) => [e.data.messageId, e]));
  // gapless.ts takes a publication of several messages; each carries the trace of its sendMessage.
  for (const [conversationId, messages] of byConversation) {
    publish(
      triggers.messageAdded(conversationId),
      messages.map((m) => ({ ...m, ...(sourceOf.get(m.id)?.traceparent ? { traceparent: sourceOf.get(m.id)!.traceparent } : {}) })),
    );
  }
  // Files decides what an attachment grants; it learns of them only from messages chat stored.
  for (const row of rows.filter((r) => r.attachmentIds.length > 0)) {
    ctx.emit(
      chatFacts.topic,
      chatFacts.derive('attachments.shared', sourceOf.get(row.id)!, {
        aggregateId: row.conversationId,
        data: { conversationId: row.conversationId, messageId: row.id, senderId: row.senderId, fileIds: row.attachmentIds, sharedAt: sourceOf.get(row.id)!.occurredAt },
      }),
    );
  }
  if (watched) announceMissed(ctx, watched, rows, members, sourceOf);
  for (const conversationId of byConversation.keys()) {
    for (const userId of members.get(conversationId) ?? []) publish(triggers.conversationUpdated(userId), { conversationId });
  }
  return results;
}

/**
 * Announces stored messages to the recipients who were not watching their conversation (no live
 * `messageAdded` anywhere): finder notifies them. Asked once per batch, at store time. Each
 * recipient hears of the first message it missed in a conversation per batch only: finder keeps
 * one unread notification per conversation, so the batch's later ones would change nothing, and
 * a backlog of thousands of messages would otherwise cost as many facts as messages.
 */
function announceMissed(ctx: ApplyContext, watched: Set<string>, rows: MessageModel[], members: Map<string, string[]>, sourceOf: Map<string, MessageSent>) {
  const told = new Set<string>();
  for (const row of rows) {
    const away = recipientsOf(row, members).filter((u) => {
      const key = watchingKey(row.conversationId, u);
      if (watched.has(key) || told.has(key)) return false;
      told.add(key);
      return true;
    });
    if (away.length === 0) continue;
    ctx.emit(
      chatFacts.topic,
      chatFacts.derive('message.missed', sourceOf.get(row.id)!, {
        aggregateId: row.conversationId,
        data: { conversationId: row.conversationId, messageId: row.id, seq: row.seq, senderId: row.senderId, preview: preview(row.body), recipientIds: away },
      }),
    );
  }
}

const recipientsOf = (row: MessageModel, members: Map<string, string[]>) => (members.get(row.conversationId) ?? []).filter((u) => u !== row.senderId);

/** The presence keys of every recipient of the batch's messages (who `announceMissed` asks about). */
const missedKeys = (rows: MessageModel[], members: Map<string, string[]>) => [
  ...new Set(rows.flatMap((row) => recipientsOf(row, members).map((u) => watchingKey(row.conversationId, u)))),
];

const preview = (body: string, max = 160) => (body.length > max ? `${body.slice(0, max - 1)}…` : body);

async function startConversation(ctx: ApplyContext, event: Extract<ChatEvent, { type: 'conversation.started' }>): Promise<ApplyResult> {
  const { em, publish } = ctx;
  const d = event.data;
  const inserted = await em.execute<{ id: string }[]>(
    `insert into chat.conversations (id, created_by, engagement_id, last_seq, last_activity_at, created_at)
     values (?, ?, ?, 0, ?, ?) on conflict do nothing returning id`,
    [d.conversationId, d.createdBy, d.engagementId ?? null, event.occurredAt, event.occurredAt],
  );
  if (inserted.length === 0) {
    // One conversation per engagement: a second start for it answers with the first one.
    const [existing] = d.engagementId
      ? await em.execute<{ id: string }[]>('select id from chat.conversations where engagement_id = ?', [d.engagementId])
      : [];
    if (existing) return { result: { conversationId: existing.id } };
    return reject(ErrorCode.CONFLICT, 'Conversation already exists');
  }
  await em.execute(
    `insert into chat.participants (conversation_id, user_id, last_read_seq, joined_at)
     select ?::uuid, user_id::uuid, 0, ?::timestamptz from jsonb_array_elements_text(?::jsonb) as u(user_id)`,
    [d.conversationId, event.occurredAt, JSON.stringify(d.participantIds)],
  );
  for (const userId of d.participantIds) publish(triggers.conversationUpdated(userId), { conversationId: d.conversationId });
  const data = { conversationId: d.conversationId, participantIds: d.participantIds };
  ctx.emit(chatFacts.topic, chatFacts.derive('conversation.started', event, { aggregateId: d.conversationId, data }));
  return { result: { conversationId: d.conversationId } };
}

async function markRead({ em, publish }: ApplyContext, event: Extract<ChatEvent, { type: 'conversation.read' }>): Promise<ApplyResult> {
  const d = event.data;
  const updated = await em.execute<{ last_read_seq: number }[]>(
    `update chat.participants p set last_read_seq = greatest(p.last_read_seq, least(?, c.last_seq))
     from chat.conversations c
     where c.id = p.conversation_id and p.conversation_id = ? and p.user_id = ?
     returning p.last_read_seq`,
    [d.upToSeq, d.conversationId, d.userId],
  );
  if (updated.length === 0) return reject(ErrorCode.NOT_FOUND, NOT_FOUND);
  publish(triggers.conversationUpdated(d.userId), { conversationId: d.conversationId });
  return { result: { lastReadSeq: updated[0]!.last_read_seq } };
}

