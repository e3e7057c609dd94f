import { query } from '@finder/testing/database';
import { gql, ok } from '@finder/testing/graphql-client';
import { until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUpload, upload } from '../../files/test/helpers.ts';
import { registerUser, startConversation, type TestUser } from './helpers.ts';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { id seq } }`;

describe('sendMessage checks attachments against files (projected from files.facts) through nginx', () => {
  let alice: TestUser, bob: TestUser, carol: TestUser, mallory: TestUser;
  let conversation: string;
  beforeAll(async () => {
    [alice, bob, carol, mallory] = await Promise.all([registerUser(url, 'Alice'), registerUser(url, 'Bob'), registerUser(url, 'Carol'), registerUser(url, 'Mallory')]);
    conversation = await startConversation(url, alice, [bob]);
  });

  const send = (user: TestUser, conversationId: string, attachmentIds: string[]) =>
    gql(url, SEND, { i: { conversationId, body: 'attached', attachmentIds } }, { token: user.token });
  /** The refusal must be BAD_USER_INPUT naming the id and its position, and store no message. */
  const expectRefused = async (user: TestUser, conversationId: string, attachmentIds: string[], badIndex: number) => {
    const before = await query<{ n: string }>(env.DATABASE_URL!, 'select count(*) as n from chat.messages where conversation_id = $1', [conversationId]);
    const result = await send(user, conversationId, attachmentIds);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.attachmentIds.${badIndex}` });
    expect(result.errors![0]!.message).toContain(attachmentIds[badIndex]);
    const after = await query<{ n: string }>(env.DATABASE_URL!, 'select count(*) as n from chat.messages where conversation_id = $1', [conversationId]);
    expect(after[0]!.n).toBe(before[0]!.n);
  };

  it('accepts the sender\'s READY file right after completeUpload, and a forward by a participant who was shared it', async () => {
    const file = await upload(url, alice, 'plan.txt', 'text/plain', Buffer.from('the plan\n'));
    const sent = ok(await send(alice, conversation, [file.id])).sendMessage;
    const [row] = await query<{ attachment_ids: string[] }>(env.DATABASE_URL!, 'select attachment_ids from chat.messages where id = $1', [sent.id]);
    expect(row!.attachment_ids).toEqual([file.id]);
    // Bob saw it in the conversation with Alice, so he may pass it on to Carol.
    const withCarol = await startConversation(url, bob, [carol]);
    ok(await send(bob, withCarol, [file.id]));
  });

  it('refuses unknown, not READY and someone else\'s file ids, naming the id', async () => {
    const mine = await upload(url, alice, 'ok.txt', 'text/plain', Buffer.from('fine\n'));
    await expectRefused(alice, conversation, [mine.id, crypto.randomUUID()], 1);
    const pending = ok(await createUpload(url, alice, { name: 'later.txt', mimeType: 'text/plain', size: 10 })).createUpload.file;
    await expectRefused(alice, conversation, [pending.id], 0);
    // Mallory names Alice's file id in her own conversation: refused, and nothing reveals that it exists.
    const hers = await startConversation(url, mallory, [carol]);
    await expectRefused(mallory, hers, [mine.id], 0);
  });

  it('refuses a file once its owner deleted it', async () => {
    const file = await upload(url, alice, 'gone.txt', 'text/plain', Buffer.from('soon gone\n'));
    ok(await send(alice, conversation, [file.id]));
    expect(ok(await gql(url, `mutation($f: ID!) { deleteFile(fileId: $f) }`, { f: file.id }, { token: alice.token })).deleteFile).toBe(true);
    // Chat hears of the deletion from files.facts, asynchronously.
    await until(
      async () => (await query(env.DATABASE_URL!, 'select 1 from chat.files where id = $1 and deleted_at is not null', [file.id])).length > 0,
      60_000,
      'the deletion to reach chat',
    );
    await expectRefused(alice, conversation, [file.id], 0);
    await expectRefused(bob, conversation, [file.id], 0);
  });
});
