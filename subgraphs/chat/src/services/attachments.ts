import { badInput } from '@finder/platform/config';
import { sleep } from '@finder/platform/kafka';
import type { EntityManager } from '@mikro-orm/postgresql';

/** How long sendMessage waits for files it has not heard of yet (a file completed a moment ago). */
const PROJECTION_WAIT_MS = 3_000;

/** The refusal of an attachment: the message names the id, the field its position. */
export const attachmentProblem = (fileId: string, index: number) => ({
  message: `Attachment ${fileId} is not a file you can share (unknown, not READY, deleted, or not visible to you)`,
  field: `input.attachmentIds.${index}`,
});

/**
 * Refuses attachments the sender may not share, naming the first bad id. Chat learns of READY
 * files asynchronously (files.facts), so ids it has not heard of at all get a short wait before
 * they are refused; ids it knows (deleted, or someone else's) are refused at once.
 */
export async function requireShareable(em: EntityManager, senderId: string, fileIds: readonly string[]): Promise<void> {
  const deadline = Date.now() + PROJECTION_WAIT_MS;
  for (;;) {
    // One statement, one snapshot: whether chat knows a file and whether it may be shared must be
    // read together, or a projection landing between two reads looks like a known, refused file.
    const bad = await unshareable(em, senderId, fileIds);
    if (bad.length === 0) return;
    if (bad.every((row) => row.known) || Date.now() >= deadline) {
      const { message, field } = attachmentProblem(bad[0]!.id, fileIds.indexOf(bad[0]!.id));
      throw badInput(message, field);
    }
    await sleep(100);
  }
}

/**
 * Which of `fileIds` the sender may not attach. Chat decides from its own projection of
 * files.facts (`chat.files`: READY files and their owners, marked when deleted) and its own
 * messages, never from files' tables. A sender may attach a file that is READY, not deleted, and
 * either theirs or already attached in a conversation they take part in (forwarding what was
 * shared with them), the same rule files uses to grant access. Unknown, not yet READY and not
 * visible are deliberately indistinguishable: an id must not reveal that someone else's file exists.
 */
export async function unshareableAttachments(em: EntityManager, senderId: string, fileIds: readonly string[]): Promise<string[]> {
  return (await unshareable(em, senderId, fileIds)).map((row) => row.id);
}

/** The unshareable ids, each with whether chat has heard of it at all (READY or deleted). */
async function unshareable(em: EntityManager, senderId: string, fileIds: readonly string[]): Promise<{ id: string; known: boolean }[]> {
  if (fileIds.length === 0) return [];
  return em.execute<{ id: string; known: boolean }[]>(
    `select a.id, exists (select 1 from chat.files k where k.id = a.id) as known
       from unnest(?::uuid[]) with ordinality as a(id, n)
      where not exists (
        select 1 from chat.files f
         where f.id = a.id and f.deleted_at is null
           and (f.owner_id = ? or exists (
             select 1 from chat.messages m
             join chat.participants p on p.conversation_id = m.conversation_id and p.user_id = ?
             where m.attachment_ids @> array[a.id])))
      order by a.n`,
    [`{${fileIds.join(',')}}`, senderId, senderId],
  );
}
