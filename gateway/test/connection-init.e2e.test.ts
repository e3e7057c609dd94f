import { registerUser, type TestUser } from '@finder/testing/accounts';
import { gql, ok } from '@finder/testing/graphql-client';
import { until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { connect, type TestClient } from '@finder/testing/ws-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const wsUrl = url.replace(/^http/, 'ws');

const START = `mutation($i: StartConversationInput!) { startConversation(input: $i) { id } }`;
const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { seq } }`;
const FOLLOW = `subscription Follow($c: ID!, $after: Int) { messageAdded(conversationId: $c, after: $after) { body sender { id } } }`;

type Added = { messageAdded: { body: string; sender: { id: string } } };
type CodedError = { message: string; extensions?: { code?: string } };

describe('graphql-ws connection_init through nginx', () => {
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: string;
  /** The seq of the last message sent: each subscription starts after it, so none can miss its event. */
  let lastSeq = 0;
  const clients: TestClient[] = [];
  const open = (params?: Record<string, unknown>) => {
    const client = connect(wsUrl, params);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    [alice, bob] = await Promise.all([registerUser(url, 'Alice Init'), registerUser(url, 'Bob Init', 'PROFESSIONAL')]);
    conversationId = ok(await gql(url, START, { i: { participantIds: [bob.id] } }, { token: alice.token })).startConversation.id;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose().catch(() => undefined)));
  });

  // Where clients put the token: graphql-ws clients and the SDK, Apollo Studio's connection
  // settings, clients that copy their HTTP headers into the payload.
  const forms: [string, (token: string) => Record<string, unknown>][] = [
    ['authorization', (token) => ({ authorization: `Bearer ${token}` })],
    ['Authorization', (token) => ({ Authorization: `Bearer ${token}` })],
    ['headers.authorization', (token) => ({ headers: { authorization: `Bearer ${token}` } })],
    ['headers.Authorization', (token) => ({ headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' } })],
  ];

  it.each(forms)('accepts the token as %s and streams the viewer’s events', async (form, params) => {
    const sub = open(params(bob.token)).subscribe<Added>(FOLLOW, { c: conversationId, after: lastSeq });
    const body = `via ${form} ${Date.now()}`;
    lastSeq = ok(await gql(url, SEND, { i: { conversationId, body } }, { token: alice.token })).sendMessage.seq;
    const events = await sub.waitFor(1);
    expect(events[0]).toEqual({ data: { messageAdded: { body, sender: { id: alice.id } } } });
    expect(sub.errors).toEqual([]);
  });

  it('a bad token in any of those places closes the socket with 4401', async () => {
    for (const [form, params] of forms) {
      const client = open(params('not.a.token'));
      await until(async () => client.closes.length > 0, 5_000, `close for ${form}`);
      expect(client.closes[0], form).toEqual({ code: 4401, reason: 'Unauthorized: access token invalid' });
    }
  });

  it('acknowledges a connection without a token but refuses its subscriptions with UNAUTHENTICATED', async () => {
    // Apollo Sandbox and Studio open such a connection first; closing it would close theirs too.
    for (const params of [undefined, {}, { headers: {} }, { authorization: '' }]) {
      const client = open(params);
      const sub = client.subscribe(FOLLOW, { c: conversationId });
      await until(async () => sub.errors.length > 0, 5_000, `refusal for ${JSON.stringify(params)}`);
      const errors = sub.errors[0] as CodedError[];
      expect(errors.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(errors[0]!.message).toMatch(/connection_init .*authorization/);
      expect(sub.events).toEqual([]);
      // The socket stays open: a later subscribe is answered the same way, not with a close.
      const again = client.subscribe(FOLLOW, { c: conversationId });
      await until(async () => again.errors.length > 0, 5_000, 'second refusal');
      expect(client.closes).toEqual([]);
    }
  });
});
