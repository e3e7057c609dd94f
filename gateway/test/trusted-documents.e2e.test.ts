import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createFinderClient, memoryTokens, type FinderClient } from '@finder/client';
import { MeDocument, MessageAddedDocument, SendMessageDocument, StartConversationDocument } from '@finder/client/operations';
import { registerUser } from '@finder/testing/accounts';
import { gql, ok } from '@finder/testing/graphql-client';
import { freePort } from '@finder/testing/ports';
import { startNode, until, waitForReady, type Service } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { connect } from '@finder/testing/ws-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Trusted documents against the real stack: a gateway of the test's own with TRUSTED_DOCUMENTS set
 * to the SDK's manifest, in front of the stack's subgraphs; the stack's own gateways (behind
 * nginx) run without it. Accounts are registered through nginx.
 */
const env = stackEnv();
const stack = env.PUBLIC_URL!;
const MANIFEST = new URL('../../packages/client/src/__generated__/persisted-documents.json', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;

/** The manifest's hash (bare hex) and text of the SDK operation `name`. */
function sdkOperation(name: string): { hash: string; text: string } {
  const entry = Object.entries(manifest).find(([, text]) => new RegExp(`\\b(query|mutation|subscription) ${name}\\b[ ({]`).test(text));
  if (!entry) throw new Error(`no operation ${name} in the manifest`);
  return { hash: entry[0].replace(/^sha256:/, ''), text: entry[1] };
}

async function post(url: string, body: unknown, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, ...((await response.json()) as { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] }) };
}

const codes = (result: { errors?: { extensions?: { code?: string } }[] }) => (result.errors ?? []).map((e) => e.extensions?.code);
const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('trusted documents (TRUSTED_DOCUMENTS)', () => {
  let gateway: Service;
  let url: string;
  let wsUrl: string;
  const clients: FinderClient[] = [];

  beforeAll(async () => {
    const port = await freePort();
    gateway = startNode('gateway/src/index.ts', [], { ...env, TRUSTED_DOCUMENTS: MANIFEST, PORT: String(port) });
    // Generous: a gateway starts in seconds, but minutes on a loaded two-core machine.
    await waitForReady(`http://127.0.0.1:${port}/readyz`, 240_000, gateway);
    url = `http://127.0.0.1:${port}/graphql`;
    wsUrl = url.replace('http', 'ws');
  }, 300_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gateway?.kill();
  });

  it('runs the SDK by hash: requests and a live subscription, with no query text sent', async () => {
    const bodies: Record<string, unknown>[] = [];
    const sdk = () => {
      const client = createFinderClient({
        url,
        storage: memoryTokens(),
        persistedDocuments: true,
        fetch: async (input, init) => {
          bodies.push(JSON.parse(String(init.body)) as Record<string, unknown>);
          return fetch(input, init);
        },
      });
      clients.push(client);
      return client;
    };
    const alice = sdk();
    const bob = sdk();
    const email = (name: string) => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    await alice.session.register({ email: email('alice-trusted'), password: 'correct horse battery', displayName: 'Alice Trusted', role: 'BUSINESS' });
    const bobSession = await bob.session.register({ email: email('bob-trusted'), password: 'correct horse battery', displayName: 'Bob Trusted', role: 'BUSINESS' });
    const { me } = await alice.request(MeDocument);
    expect(me?.displayName).toBe('Alice Trusted');
    const { startConversation } = await alice.request(StartConversationDocument, { input: { participantIds: [bobSession.userId] } });

    const seen: string[] = [];
    const failures: unknown[] = [];
    const stop = bob.subscribe(MessageAddedDocument, { conversationId: startConversation.id, after: 0 }, { next: (d) => seen.push(d.messageAdded.body), error: (e) => failures.push(e) });
    await until(async () => bob.connection.state === 'connected', 20_000, 'the socket');
    await alice.request(SendMessageDocument, { input: { conversationId: startConversation.id, body: 'by hash' } });
    await until(async () => seen.length > 0 || failures.length > 0, 20_000, 'the message');
    expect(failures).toEqual([]);
    expect(seen).toEqual(['by hash']);
    stop();

    expect(bodies.length).toBeGreaterThan(4);
    for (const body of bodies) {
      expect(body.query, String(body.operationName)).toBeUndefined();
      expect(body.extensions).toEqual(apq(sdkOperation(String(body.operationName)).hash));
    }
  });

  it('accepts the GraphQL-over-HTTP documentId form, and a query text equal to the manifest text', async () => {
    const user = await registerUser(stack, 'Document Id');
    const { hash, text } = sdkOperation('Me');
    const byId = await post(url, { documentId: `sha256:${hash}`, operationName: 'Me' }, user.token);
    expect(byId.status).toBe(200);
    expect((byId.data?.me as { id: string }).id).toBe(user.id);
    const withText = await post(url, { query: text, extensions: apq(hash), operationName: 'Me' }, user.token);
    expect((withText.data?.me as { id: string }).id).toBe(user.id);
    const get = await fetch(`${url}?documentId=sha256:${hash}&operationName=Me`, { headers: { authorization: `Bearer ${user.token}`, 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(200);
  });

  it('refuses free-form text, unknown hashes and a known hash with another text, over HTTP, each with its code', async () => {
    const user = await registerUser(stack, 'Free Form');
    const freeForm = await post(url, { query: '{ me { id } }' }, user.token);
    expect(freeForm.status).toBe(400);
    expect(codes(freeForm)).toEqual(['TRUSTED_DOCUMENTS_ONLY']);
    expect(freeForm.data).toBeUndefined();

    const unknown = await post(url, { extensions: apq('0'.repeat(64)) }, user.token);
    expect(unknown.status).toBe(400);
    expect(codes(unknown)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(codes(await post(url, { documentId: `sha256:${'f'.repeat(64)}` }, user.token))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);

    // The hash of Me, with another text: as Apollo's APQ would register it (it checks the hash
    // against the text it is given, and this text's hash is not Me's), so it is refused either way.
    const hijack = await post(url, { query: '{ me { id email } }', extensions: apq(sdkOperation('Me').hash) }, user.token);
    expect(hijack.status).toBe(400);
    expect(codes(hijack)).toEqual(['TRUSTED_DOCUMENTS_ONLY']);

    // APQ registration of a new text under its own hash is not a way in either.
    const text = '{ me { id displayName } }';
    const register = await post(url, { query: text, extensions: apq(createHash('sha256').update(text).digest('hex')) }, user.token);
    expect(codes(register)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const get = await fetch(`${url}?query=${encodeURIComponent('{ me { id } }')}`, { headers: { authorization: `Bearer ${user.token}`, 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(400);
    expect(codes((await get.json()) as { errors?: { extensions?: { code?: string } }[] })).toEqual(['TRUSTED_DOCUMENTS_ONLY']);
  });

  it('refuses free-form text, unknown hashes and a known hash with another text over WebSocket; runs one by hash', async () => {
    const user = await registerUser(stack, 'Ws Trusted');
    const client = connect(wsUrl, { authorization: `Bearer ${user.token}` });
    try {
      const answer = async (payload: Record<string, unknown>) => {
        const result: { errors?: unknown; next?: boolean } = {};
        const stop = client.client.subscribe(payload as never, {
          next: () => void (result.next = true),
          error: (errors) => void (result.errors = errors),
          complete: () => undefined,
        });
        await until(async () => result.errors !== undefined || result.next === true, 20_000, 'an answer');
        stop();
        return result;
      };
      const wsCodes = (result: { errors?: unknown }) => (result.errors as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code);
      const freeForm = await answer({ query: 'subscription { notificationAdded(after: 0) { seq } }' });
      expect(wsCodes(freeForm)).toEqual(['TRUSTED_DOCUMENTS_ONLY']);
      expect(wsCodes(await answer({ query: '', extensions: apq('0'.repeat(64)) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      const notifications = sdkOperation('NotificationAdded');
      const hijack = await answer({ query: 'subscription { notificationAdded(after: 0) { seq } }', extensions: apq(notifications.hash) });
      expect(wsCodes(hijack)).toEqual(['TRUSTED_DOCUMENTS_ONLY']);

      // By hash (either form) the subscription is accepted: it runs, without an error, until stopped.
      // (The refusals above each came within moments.)
      for (const payload of [
        { query: '', extensions: apq(notifications.hash), variables: { after: 0 } },
        { query: '', documentId: `sha256:${notifications.hash}`, variables: { after: 0 } },
      ]) {
        const result: { errors?: unknown } = {};
        const stop = client.client.subscribe(payload as never, { next: () => undefined, error: (errors) => void (result.errors = errors), complete: () => undefined });
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect(result.errors, JSON.stringify(payload)).toBeUndefined();
        stop();
      }
    } finally {
      await client.dispose();
    }
  });

  it('with the setting off (the stack), free-form text runs as before and a bare hash is unknown to APQ', async () => {
    const user = await registerUser(stack, 'Untrusted');
    expect((ok(await gql(stack, '{ me { id } }', {}, { token: user.token })) as { me: { id: string } }).me.id).toBe(user.id);
    expect(codes(await post(stack, { extensions: apq(sdkOperation('Me').hash) }, user.token))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const client = connect(stack.replace('http', 'ws'), { authorization: `Bearer ${user.token}` });
    try {
      const sub = client.subscribe('subscription { notificationAdded(after: 0) { seq } }');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(sub.errors).toEqual([]);
      sub.stop();
    } finally {
      await client.dispose();
    }
  });
});
