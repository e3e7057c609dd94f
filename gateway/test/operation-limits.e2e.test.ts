import { registerUser, type TestUser } from '@finder/testing/accounts';
import { errorCodes, gql, ok } from '@finder/testing/graphql-client';
import { stackEnv } from '@finder/testing/stack';
import { connect } from '@finder/testing/ws-client';
import { beforeAll, describe, expect, it } from 'vitest';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const wsUrl = url.replace(/^http/, 'ws');

/** `a { b { c { leaf } } }` from a path of fields. */
const nest = (path: string[], leaf: string): string => path.reduceRight((inner, field) => `${field} { ${inner} }`, leaf);

/** Message.sender -> User.conversations -> messages, nested: work that grows as 100^depth. */
const RECURSION = `query {
  me { conversations(first: 100) { edges { node { messages(first: 100) { edges { node {
    sender { conversations(first: 100) { edges { node { id } } } }
  } } } } } } }
}`;

describe('operation limits through nginx, before any subgraph works', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await registerUser(url, 'limits');
  });

  it('answers with headers that forbid sniffing, framing and referrers', async () => {
    for (const body of [JSON.stringify({ query: '{ __typename }' }), '{broken']) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('serves ordinary operations', async () => {
    const result = await gql(url, 'query { me { id conversations(first: 5) { edges { node { id lastMessage { seq body } } } } } }', {}, { token: user.token });
    expect(ok(result).me.id).toBe(user.id);
  });

  it('refuses alias bombs of searches with OPERATION_LIMIT', async () => {
    const bomb = (selection: string) => `query { ${Array.from({ length: 300 }, (_, i) => `s${i}: searchProfessionals(query: "tax") { ${selection} }`).join('\n')} }`;
    // The 37 KB request of the review: longer than the token limit, refused before it is parsed whole.
    const long = await gql(url, bomb('edges { node { headline user { displayName } } }'), {}, { token: user.token });
    expect(long.status).toBe(400);
    expect(errorCodes(long)).toEqual(['OPERATION_LIMIT']);
    expect(long.data).toBeUndefined();
    const short = await gql(url, bomb('pageInfo { hasNextPage }'), {}, { token: user.token });
    expect(short.status).toBe(400);
    expect(errorCodes(short)).toEqual(['OPERATION_LIMIT']);
    expect(short.errors![0]!.message).toMatch(/Aliases limit of 30 exceeded, found 300/);
  });

  it('refuses nested lists whose estimated cost is over the limit, with the estimate and the limit', async () => {
    const result = await gql(url, RECURSION, {}, { token: user.token });
    expect(result.status).toBe(400);
    expect(errorCodes(result)).toEqual(['COST_LIMIT_EXCEEDED']);
    const extensions = result.errors![0]!.extensions as { cost: number; limit: number };
    expect(extensions.limit).toBe(10_000);
    expect(extensions.cost).toBeGreaterThan(1_000_000);
  });

  it('estimates cost with the variables of the request', async () => {
    const query = 'query($n: Int) { me { conversations(first: $n) { edges { node { messages(first: $n) { edges { node { sender { conversations(first: $n) { edges { node { id } } } } } } } } } } } }';
    expect(errorCodes(await gql(url, query, { n: 100 }, { token: user.token }))).toEqual(['COST_LIMIT_EXCEEDED']);
    expect(ok(await gql(url, query, { n: 3 }, { token: user.token })).me.conversations.edges).toEqual([]);
  });

  it('refuses documents deeper than the limit and longer than the token limit', async () => {
    const deep = 'query { me { conversations { edges { node { messages { edges { node { sender { conversations { edges { node { lastMessage { id } } } } } } } } } } } } }';
    const tooDeep = await gql(url, deep, {}, { token: user.token });
    expect(errorCodes(tooDeep)).toEqual(['OPERATION_LIMIT']);
    expect(tooDeep.errors![0]!.message).toMatch(/depth limit of 12 exceeded, found 13/);
    const long = `query { me { ${'id '.repeat(6_000)} } }`;
    const tooLong = await gql(url, long, {}, { token: user.token });
    expect(tooLong.status).toBe(400);
    expect(errorCodes(tooLong)).toEqual(['OPERATION_LIMIT']);
  });

  it('applies the same limits to subscriptions over WebSocket', async () => {
    const client = connect(wsUrl, { authorization: `Bearer ${user.token}` });
    try {
      const deep = client.subscribe(
        // conversationUpdated → … → id: 14 levels deep.
        `subscription { ${nest(['conversationUpdated', 'lastMessage', 'sender', 'conversations', 'edges', 'node', 'messages', 'edges', 'node', 'sender', 'conversations', 'edges', 'node'], 'id')} }`,
      );
      const costly = client.subscribe(
        'subscription { conversationUpdated { participants { conversations(first: 100) { edges { node { messages(first: 100) { edges { node { id } } } } } } } } }',
      );
      await expect.poll(() => deep.errors.length + costly.errors.length, { timeout: 10_000 }).toBe(2);
      expect(JSON.stringify(deep.errors)).toContain('OPERATION_LIMIT');
      expect(JSON.stringify(costly.errors)).toContain('COST_LIMIT_EXCEEDED');
    } finally {
      await client.dispose();
    }
  });
});
