import { errorCodes, gql, ok } from '@finder/testing/graphql-client';
import { until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { connect, type TestClient } from '@finder/testing/ws-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE_ADDED, registerUser, SEND, startConversation, type TestUser } from './helpers.ts';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const wsUrl = url.replace(/^http/, 'ws');
const send = (user: TestUser, conversationId: string, body: string, extra: Record<string, unknown> = {}) =>
  gql(url, SEND, { i: { conversationId, body, ...extra } }, { token: user.token });

describe('chat through the gateway', () => {
  let alice: TestUser, bob: TestUser, mallory: TestUser;
  let conversationId: string;
  const clients: TestClient[] = [];
  const socket = (user: TestUser) => {
    const client = connect(wsUrl, { authorization: `Bearer ${user.token}` });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    [alice, bob, mallory] = await Promise.all([registerUser(url, 'Alice'), registerUser(url, 'Bob'), registerUser(url, 'Mallory')]);
    conversationId = await startConversation(url, alice, [bob]);
  });
  afterAll(() => Promise.all(clients.map((c) => c.dispose())));

  it('streams messages with the sender resolved through the users subgraph', async () => {
    const follow = socket(bob).subscribe(MESSAGE_ADDED, { c: conversationId, after: 0 });
    await new Promise((r) => setTimeout(r, 300));
    const sent = ok(await send(alice, conversationId, 'Hello Bob')).sendMessage;
    expect(sent).toMatchObject({ seq: 1, body: 'Hello Bob', conversationId });
    const [event] = await follow.waitFor(1);
    expect(event!.data!.messageAdded).toEqual({ id: sent.id, seq: 1, body: 'Hello Bob', sender: { id: alice.id, displayName: 'Alice' } });
  });

  it('pages messages both ways and keeps unread counts', async () => {
    const c = await startConversation(url, alice, [bob]);
    for (let i = 1; i <= 7; i++) ok(await send(alice, c, `m${i}`));
    const PAGE = `query($c: ID!, $first: Int, $after: String, $last: Int, $before: String) {
      conversation(id: $c) { unreadCount lastMessage { seq }
        messages(first: $first, after: $after, last: $last, before: $before) { edges { cursor node { seq } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor } } } }`;
    const newest = ok(await gql(url, PAGE, { c, last: 3 }, { token: bob.token })).conversation;
    expect(newest.messages.edges.map((e: { node: { seq: number } }) => e.node.seq)).toEqual([5, 6, 7]);
    expect(newest.messages.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    expect(newest).toMatchObject({ unreadCount: 7, lastMessage: { seq: 7 } });
    const older = ok(await gql(url, PAGE, { c, last: 3, before: newest.messages.pageInfo.startCursor }, { token: bob.token })).conversation;
    expect(older.messages.edges.map((e: { node: { seq: number } }) => e.node.seq)).toEqual([2, 3, 4]);
    const forward = ok(await gql(url, PAGE, { c, first: 4, after: older.messages.edges[0].cursor }, { token: bob.token })).conversation;
    expect(forward.messages.edges.map((e: { node: { seq: number } }) => e.node.seq)).toEqual([3, 4, 5, 6]);
    expect(forward.messages.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    expect(errorCodes(await gql(url, PAGE, { c, first: 2, last: 2 }, { token: bob.token }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(url, PAGE, { c, first: 2, after: 'garbage' }, { token: bob.token }))).toEqual(['BAD_USER_INPUT']);

    const read = ok(await gql(url, `mutation($c: ID!) { markRead(conversationId: $c, upToSeq: 5) { unreadCount } }`, { c }, { token: bob.token }));
    expect(read.markRead.unreadCount).toBe(2);
    // The sender has read their own messages.
    expect(ok(await gql(url, PAGE, { c, last: 1 }, { token: alice.token })).conversation.unreadCount).toBe(0);

    const mine = ok(await gql(url, `{ me { conversations(first: 50) { edges { node { id unreadCount } } } } }`, {}, { token: bob.token }));
    expect(mine.me.conversations.edges[0].node).toEqual({ id: c, unreadCount: 2 });
  });

  it('hides a conversation from non-participants: query, mutation and subscription alike', async () => {
    const asMallory = { token: mallory.token };
    const queried = await gql(url, `query($c: ID!) { conversation(id: $c) { id } }`, { c: conversationId }, asMallory);
    expect(errorCodes(queried)).toEqual(['NOT_FOUND']);
    expect(errorCodes(await send(mallory, conversationId, 'let me in'))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(url, `mutation($c: ID!) { markRead(conversationId: $c, upToSeq: 1) { id } }`, { c: conversationId }, asMallory))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(url, `mutation($c: ID!) { setTyping(conversationId: $c, typing: true) }`, { c: conversationId }, asMallory))).toEqual(['NOT_FOUND']);
    const theirs = await gql(url, `query($id: ID!) { user(id: $id) { conversations { edges { node { id } } } } }`, { id: alice.id }, asMallory);
    expect(errorCodes(theirs)).toEqual(['FORBIDDEN']);

    const eavesdrop = socket(mallory);
    const messages = eavesdrop.subscribe(MESSAGE_ADDED, { c: conversationId, after: 0 });
    const typing = eavesdrop.subscribe(`subscription($c: ID!) { typing(conversationId: $c) { typing } }`, { c: conversationId });
    await until(async () => messages.events.length + messages.errors.length > 0 && typing.events.length + typing.errors.length > 0, 10_000, 'refusals');
    for (const sub of [messages, typing]) {
      expect(sub.events.flatMap((e) => e.errors ?? []).map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
      expect(sub.events.filter((e) => e.data)).toEqual([]);
    }
    expect(errorCodes(await gql(url, `query($c: ID!) { conversation(id: $c) { id } }`, { c: conversationId }))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses bad input with the field named, and changes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ conversationId, body: '' }, 'input.body'],
      [{ conversationId, body: '   ' }, 'input.body'],
      [{ conversationId, body: 'x'.repeat(4001) }, 'input.body'],
      [{ conversationId, body: 'bell\u0007' }, 'input.body'],
      [{ conversationId, body: 'files', attachmentIds: Array.from({ length: 11 }, () => crypto.randomUUID()) }, 'input.attachmentIds'],
      [{ conversationId, body: 'files', attachmentIds: ['../../etc/passwd'] }, 'input.attachmentIds.0'],
      [{ conversationId: 'not-an-id', body: 'x' }, 'input.conversationId'],
    ];
    const before = ok(await gql(url, `query($c: ID!) { conversation(id: $c) { lastMessage { seq } } }`, { c: conversationId }, { token: alice.token })).conversation.lastMessage.seq;
    for (const [input, field] of cases) {
      const result = await gql(url, SEND, { i: input }, { token: alice.token });
      expect(errorCodes(result), field).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions!.field, field).toBe(field);
    }
    const after = ok(await gql(url, `query($c: ID!) { conversation(id: $c) { lastMessage { seq } } }`, { c: conversationId }, { token: alice.token })).conversation.lastMessage.seq;
    expect(after).toBe(before);
    expect(errorCodes(await gql(url, `mutation { startConversation(input: { participantIds: [] }) { id } }`, {}, { token: alice.token }))).toEqual(['BAD_USER_INPUT']);
  });

  it('applies a retried send once, by idempotency key', async () => {
    const key = `retry-${crypto.randomUUID()}`;
    const first = ok(await send(alice, conversationId, 'only once', { idempotencyKey: key })).sendMessage;
    const again = ok(await send(alice, conversationId, 'only once', { idempotencyKey: key })).sendMessage;
    expect(again).toEqual(first);
  });

  it('answers a send with the message as a later read gives it, whatever the case of the ids sent', async () => {
    const sent = ok(await send(alice, conversationId.toUpperCase(), 'Ids in capitals')).sendMessage;
    const read = ok(
      await gql(url, `query($c: ID!) { conversation(id: $c) { lastMessage { id seq body conversationId createdAt } } }`, { c: conversationId }, { token: alice.token }),
    ).conversation.lastMessage;
    expect(sent).toEqual(read);
    expect(sent.conversationId).toBe(conversationId);
  });

  it('rate-limits a flood of messages from one user with RATE_LIMITED', async () => {
    const c = await startConversation(url, mallory, [bob]);
    // The limit is per second (50 by default): a loaded machine may let one wave of requests reach
    // chat more slowly than that, so waves follow until one is refused (or the bound runs out).
    const results: Awaited<ReturnType<typeof send>>[] = [];
    const limitedSoFar = () => results.filter((r) => errorCodes(r)[0] === 'RATE_LIMITED');
    for (let wave = 0; wave < 5 && limitedSoFar().length === 0; wave++) {
      results.push(...(await Promise.all(Array.from({ length: 150 }, (_, i) => send(mallory, c, `flood ${wave}.${i}`)))));
    }
    const limited = limitedSoFar();
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.errors![0]!.extensions!.retryAfterMs).toBeGreaterThan(0);
    const stored = results.filter((r) => r.data?.sendMessage).map((r) => r.data!.sendMessage.seq as number).sort((a, b) => a - b);
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
  });

  it('sends typing to the other participants only, and conversation updates to each participant', async () => {
    const c = await startConversation(url, alice, [bob]);
    const bobSocket = socket(bob);
    const aliceSocket = socket(alice);
    const TYPING = `subscription($c: ID!) { typing(conversationId: $c) { conversationId typing user { id displayName } } }`;
    const bobSees = bobSocket.subscribe(TYPING, { c });
    const aliceSees = aliceSocket.subscribe(TYPING, { c });
    const updates = bobSocket.subscribe(`subscription { conversationUpdated { id unreadCount lastMessage { body } } }`);
    // Typing and updates are live-only (no replay): repeat until the subscriptions are live.
    const TYPE = `mutation($c: ID!) { setTyping(conversationId: $c, typing: true) }`;
    await until(async () => {
      ok(await gql(url, TYPE, { c }, { token: alice.token }));
      await new Promise((r) => setTimeout(r, 250));
      return bobSees.events.length > 0;
    }, 20_000, 'a typing event');
    expect(bobSees.events[0]!.data).toEqual({ typing: { conversationId: c, typing: true, user: { id: alice.id, displayName: 'Alice' } } });
    let sent = 0;
    await until(async () => {
      ok(await send(alice, c, `are you there? ${++sent}`));
      await new Promise((r) => setTimeout(r, 250));
      return updates.events.length > 0;
    }, 20_000, 'a conversation update');
    const update = updates.events.at(-1)!.data!.conversationUpdated;
    expect(update.id).toBe(c);
    expect(update.unreadCount).toBeGreaterThanOrEqual(1);
    expect(update.unreadCount).toBeLessThanOrEqual(sent);
    expect(update.lastMessage.body).toMatch(/^are you there\? \d+$/);
    expect(aliceSees.events).toEqual([]);
  });
});
