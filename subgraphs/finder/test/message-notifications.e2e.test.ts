import { gql, ok } from '@finder/testing/graphql-client';
import { registerUser, type Role, type TestUser } from '@finder/testing/accounts';
import { until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { connect, type TestClient } from '@finder/testing/ws-client';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const wsUrl = url.replace(/^http/, 'ws');

const account = (role: Role, label: string) => registerUser(url, `${label} person`, role);

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { seq } }`;
const NOTIFICATIONS = `{ notifications(first: 50) { unreadCount edges { node { seq kind title body conversation { id } } } } }`;
const MESSAGE_ADDED = `subscription($c: ID!, $after: Int) { messageAdded(conversationId: $c, after: $after) { seq body } }`;

type Notification = { seq: number; kind: string; title: string; body: string; conversation: { id: string } | null };

describe('a chat message notifies, through finder, the recipients not watching its conversation', () => {
  const clients: TestClient[] = [];
  const redis = new Redis(env.REDIS_URL!);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose().catch(() => undefined)));
    redis.disconnect();
  });

  const send = async (from: TestUser, conversationId: string, body: string) => ok(await gql(url, SEND, { input: { conversationId, body } }, { token: from.token }));
  const messageNotifications = async (user: TestUser): Promise<Notification[]> =>
    ok(await gql(url, NOTIFICATIONS, {}, { token: user.token }))
      .notifications.edges.map((e: { node: Notification }) => e.node)
      .filter((n: Notification) => n.kind === 'NEW_MESSAGE')
      .reverse();
  const notifiedOf = async (user: TestUser, body: string) => {
    await until(async () => (await messageNotifications(user)).some((n) => n.body === body), 60_000, `a notification of "${body}"`);
    return messageNotifications(user);
  };
  const watchers = (conversationId: string, user: TestUser) => redis.zcount(`chat:watching:{${conversationId}}:${user.id}`, Date.now(), '+inf');

  it('while away: notified once per conversation until read; while watching: not; after leaving: again', async () => {
    const alice = await account('BUSINESS', 'notify-alice');
    const bob = await account('PROFESSIONAL', 'notify-bob');
    const { startConversation } = ok(
      await gql(url, `mutation($input: StartConversationInput!) { startConversation(input: $input) { id } }`, { input: { participantIds: [bob.id] } }, { token: alice.token }),
    );
    const conversationId: string = startConversation.id;

    // Nobody watches yet: Alice is told of Bob's message, with its start and its conversation.
    await send(bob, conversationId, 'First draft of the Q3 forecast is in the shared folder');
    const [first] = await notifiedOf(alice, 'First draft of the Q3 forecast is in the shared folder');
    expect(first).toMatchObject({ kind: 'NEW_MESSAGE', title: 'New message', conversation: { id: conversationId } });
    // While that one is unread, more messages there add nothing (checked at the end).
    await send(bob, conversationId, 'Also: the board meets on Thursday');
    // Bob does not watch either: Alice's answer notifies him. Chat announces a conversation's
    // messages in order, so once he is notified, Bob's second message has been dealt with too,
    // before Alice reads her notification.
    await send(alice, conversationId, 'Noted, thanks');
    expect((await notifiedOf(bob, 'Noted, thanks')).map((n) => n.body)).toEqual(['Noted, thanks']);
    ok(await gql(url, `mutation($s: Int!) { markNotificationsRead(upToSeq: $s) }`, { s: first!.seq }, { token: alice.token }));

    // Alice watches: her subscription replays the earlier messages, so it is surely live.
    const client = connect(wsUrl, { authorization: `Bearer ${alice.token}` });
    clients.push(client);
    const live = client.subscribe<{ messageAdded: { seq: number; body: string } }>(MESSAGE_ADDED, { c: conversationId, after: 0 });
    await until(async () => live.events.length >= 3, 30_000, 'the replay of the earlier messages');
    expect(await watchers(conversationId, alice)).toBe(1);
    await send(bob, conversationId, 'Seen while watching');
    await until(async () => live.events.some((e) => e.data?.messageAdded.body === 'Seen while watching'), 30_000, 'the live message');

    // Alice leaves; her mark goes with her subscription.
    live.stop();
    await until(async () => (await watchers(conversationId, alice)) === 0, 30_000, "Alice's watching mark to go");
    await send(bob, conversationId, 'Sent after she left');
    // Alice's notifications are numbered in one partition, in the order chat stored the messages:
    // once this one is there, one for a message before it would be there too.
    const mine = await notifiedOf(alice, 'Sent after she left');
    expect(mine.map((n) => n.body)).toEqual(['First draft of the Q3 forecast is in the shared folder', 'Sent after she left']);
    expect(mine[1]!.seq).toBeGreaterThan(mine[0]!.seq);
  });
});
