import { registerUser, type TestUser } from '@finder/testing/accounts';
import { errorCodes, gql } from '@finder/testing/graphql-client';
import { stackEnv } from '@finder/testing/stack';
import { connect } from '@finder/testing/ws-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const wsUrl = url.replace(/^http/, 'ws');

/** A root subscription field under @skip on a variable: graphql-js 16's validation throws on it. */
const SKIPPED_ROOT = 'subscription Skipped($s: Boolean!) { notificationAdded @skip(if: $s) { seq } }';

/**
 * Mistakes a client can make that once surfaced as 500s or 4500s (found by the fuzz suite,
 * drills/fuzz): each is answered as the client's error, in the request's own protocol.
 */
describe('client mistakes are answered as client errors', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await registerUser(url, 'client-mistakes');
  });

  it('refuses a subscription over HTTP POST with 400, whatever its variables', async () => {
    for (const variables of [{}, { s: true }, { s: null }, { s: 'yes' }, { s: { nested: 1 } }]) {
      const result = await gql(url, SKIPPED_ROOT, variables, { token: user.token });
      expect(result.status, JSON.stringify(variables)).toBe(400);
      expect(errorCodes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(result.errors![0]!.message).toMatch(/must not use @skip or @include/);
      const unskipped = await gql(url, 'subscription($s: Int) { notificationAdded(after: $s) { seq } }', variables, { token: user.token });
      expect(unskipped.status, JSON.stringify(variables)).toBe(400);
      expect(errorCodes(unskipped)).toEqual(['BAD_REQUEST']);
      expect(unskipped.errors![0]!.message).toMatch(/WebSocket/);
    }
    const plain = await gql(url, 'subscription { notificationAdded { seq } }', {}, { token: user.token });
    expect(plain.status).toBe(400);
    expect(errorCodes(plain)).toEqual(['BAD_REQUEST']);
    // A document with a query and a subscription: the operation picked decides.
    const both = 'query Q { __typename } subscription S { notificationAdded { seq } }';
    const pick = (operationName: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` }, body: JSON.stringify({ query: both, operationName }) });
    expect((await pick('Q')).status).toBe(200);
    expect((await pick('S')).status).toBe(400);
    // A subscription in the document that is not picked still must not crash validation.
    const skipped = `query Q { __typename } ${SKIPPED_ROOT}`;
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: skipped, operationName: 'Q', variables: { s: true } }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses an operationName the document does not define with 400 OPERATION_RESOLUTION_FAILURE', async () => {
    for (const operationName of ['Other', '__proto__', '']) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query A { __typename } query B { __typename }', operationName }),
      });
      expect(response.status, operationName).toBe(400);
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors.map((e) => e.extensions.code)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    }
  });

  it('answers a persisted query whose hash does not match its text with BAD_REQUEST', async () => {
    const body = JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } });
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(400);
    const json = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(json.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    expect(json.errors[0]!.message).toMatch(/sha/);
  });

  it('treats ids that are not UUIDs as ids of nothing, not as database errors', async () => {
    const result = await gql(url, 'query($id: ID!) { user(id: $id) { id } }', { id: 'not-a-uuid' }, { token: user.token });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ user: null });
    const request = await gql(url, 'query($id: ID!) { engagementRequest(id: $id) { id } }', { id: '-1' }, { token: user.token });
    expect(errorCodes(request)).toEqual(['NOT_FOUND']);
  });

  it('refuses a subscription over HTTP GET with 400 BAD_REQUEST', async () => {
    const search = new URLSearchParams({ query: 'subscription($s: Int) { notificationAdded(after: $s) { seq } }', variables: JSON.stringify({ s: 'x' }) });
    const response = await fetch(`${url}?${search}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['BAD_REQUEST']);
  });

  it('answers @skip/@include on a root subscription field over WebSocket with a validation error, keeping the socket', async () => {
    const client = connect(wsUrl, { authorization: `Bearer ${user.token}` });
    try {
      const skipped = client.subscribe(SKIPPED_ROOT, { s: false });
      await expect.poll(() => skipped.errors.length, { timeout: 10_000 }).toBe(1);
      expect(JSON.stringify(skipped.errors)).toContain('GRAPHQL_VALIDATION_FAILED');
      expect(JSON.stringify(skipped.errors)).toMatch(/must not use @skip or @include/);
      // The same socket still serves a good subscription.
      const good = client.subscribe('subscription { notificationAdded(after: 0) { seq } }');
      await new Promise((r) => setTimeout(r, 500));
      expect(good.errors).toEqual([]);
      expect(client.closes).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('answers variables a subscription cannot take over WebSocket with BAD_USER_INPUT, before any subgraph sees them', async () => {
    const client = connect(wsUrl, { authorization: `Bearer ${user.token}` });
    try {
      const cases: [string, Record<string, unknown>][] = [
        ['subscription($i: Boolean!) { notificationAdded(after: 0) { seq @include(if: $i) } }', { i: 1 }],
        ['subscription($i: Boolean!) { notificationAdded(after: 0) { seq @include(if: $i) } }', {}],
        ['subscription($a: Int) { notificationAdded(after: $a) { seq } }', { a: 'x' }],
        ['subscription($c: ID!) { messageAdded(conversationId: $c) { seq } }', { c: { nested: true } }],
      ];
      for (const [query, variables] of cases) {
        const refused = client.subscribe(query, variables);
        await expect.poll(() => refused.errors.length, { timeout: 10_000 }).toBe(1);
        expect(JSON.stringify(refused.errors), JSON.stringify(variables)).toContain('BAD_USER_INPUT');
        expect((refused.errors[0] as { message: string }[])[0]!.message).toMatch(/^Variable "\$[a-z]"/);
      }
      // Good variables still subscribe on the same socket.
      const good = client.subscribe('subscription($i: Boolean!) { notificationAdded(after: 0) { seq @include(if: $i) } }', { i: true });
      await new Promise((r) => setTimeout(r, 500));
      expect(good.errors).toEqual([]);
      expect(client.closes).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('closes a socket that sends a server-side message type or an overlong id with 4400, not 4500', async () => {
    for (const type of ['next', 'error', 'connection_ack']) {
      const code = await new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl, ['graphql-transport-ws']);
        ws.on('open', () => {
          ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } }));
          ws.send(JSON.stringify({ type, id: '1', payload: {} }));
        });
        ws.on('close', (c) => resolve(c));
      });
      expect(code, type).toBe(4400);
    }
    // Two subscribes with the same long id: graphql-ws's 4409 reason would name the id and
    // overflow a close frame (which it reported as 4500).
    const id = 'x'.repeat(300);
    const subscribe = JSON.stringify({ id, type: 'subscribe', payload: { query: 'subscription { notificationAdded(after: 0) { seq } }' } });
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl, ['graphql-transport-ws']);
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } }));
        ws.send(subscribe);
        ws.send(subscribe);
      });
      ws.on('close', (c) => resolve(c));
    });
    expect(code).toBe(4400);
  });
});
