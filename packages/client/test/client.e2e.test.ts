import { afterAll, describe, expect, it } from 'vitest';
import { FinderError, memoryTokens, type FinderClient } from '@finder/client';
import { MeDocument, MessageAddedDocument, MessagesDocument, SendMessageDocument } from '@finder/client/operations';
import { conversationBetween, forgedToken, recordingFetch, signedUp, stackClient, until } from './helpers.ts';

describe('@finder/client against the stack', () => {
  const clients: FinderClient[] = [];
  const track = <T extends { client: FinderClient }>(x: T): T => (clients.push(x.client), x);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('signs in, queries, and receives its own messages live through a subscription', async () => {
    const alice = track(await signedUp('Alice Sdk'));
    const bob = track(await signedUp('Bob Sdk'));
    const conversationId = await conversationBetween(alice.client, bob.session.userId);

    const { me } = await alice.client.request(MeDocument);
    expect(me?.id).toBe(alice.session.userId);

    const states: string[] = [];
    bob.client.connection.onChange((s) => states.push(s));
    const seen: number[] = [];
    const stop = bob.client.subscribe(MessageAddedDocument, { conversationId, after: 0 }, { next: (d) => seen.push(d.messageAdded.seq) });
    await until(() => bob.client.connection.state === 'connected', 20_000, 'the socket');
    for (const body of ['one', 'two', 'three']) await alice.client.request(SendMessageDocument, { input: { conversationId, body } });
    await until(() => seen.length === 3, 20_000, 'three messages');
    expect(seen).toEqual([1, 2, 3]);
    expect(states.slice(0, 2)).toEqual(['connecting', 'connected']);
    stop();
    await until(() => bob.client.connection.state === 'idle', 10_000, 'the socket to close once unused');
  });

  it('refreshes an expired access token once for several concurrent requests', async () => {
    const { stored, client: first } = track(await signedUp('Expired Sdk'));
    const sent: string[] = [];
    const expired = forgedToken(stored.user.id, Math.floor(Date.now() / 1000) - 60);
    const client = stackClient({ storage: memoryTokens({ ...stored, accessToken: expired }), fetch: recordingFetch(sent) });
    clients.push(client, first);
    const results = await Promise.all(Array.from({ length: 5 }, () => client.request(MeDocument)));
    expect(results.map((r) => r.me?.id)).toEqual(Array(5).fill(stored.user.id));
    expect(sent.filter((n) => n === 'RefreshSession')).toHaveLength(1);
    expect(client.session.current()?.accessToken).not.toBe(expired);
  });

  it('refreshes once when the server refuses the token (UNAUTHENTICATED), then retries', async () => {
    const { stored } = track(await signedUp('Refused Sdk'));
    const sent: string[] = [];
    const client = stackClient({ storage: memoryTokens({ ...stored, accessToken: forgedToken(stored.user.id) }), fetch: recordingFetch(sent) });
    clients.push(client);
    const [a, b] = await Promise.all([client.request(MeDocument), client.request(MeDocument)]);
    expect([a.me?.id, b.me?.id]).toEqual([stored.user.id, stored.user.id]);
    expect(sent.filter((n) => n === 'RefreshSession')).toHaveLength(1);
  });

  it('signs out when the refresh is refused', async () => {
    const { stored } = track(await signedUp('Revoked Sdk'));
    const storage = memoryTokens({ ...stored, accessToken: forgedToken(stored.user.id), refreshToken: 'not-a-refresh-token' });
    const client = stackClient({ storage });
    clients.push(client);
    const changes: (string | null)[] = [];
    client.session.onChange((s) => changes.push(s?.userId ?? null));
    const error = await client.request(MeDocument).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(FinderError);
    expect((error as FinderError).code).toBe('UNAUTHENTICATED');
    expect(client.session.current()).toBeNull();
    expect(storage.load()).toBeNull();
    expect(changes).toEqual([null]);
  });

  it('on close 4401 refreshes the session and subscribes again', async () => {
    const alice = track(await signedUp('Alice 4401'));
    const { stored } = track(await signedUp('Bob 4401'));
    const conversationId = await conversationBetween(alice.client, stored.user.id);
    const sent: string[] = [];
    const bob = stackClient({ storage: memoryTokens({ ...stored, accessToken: forgedToken(stored.user.id) }), fetch: recordingFetch(sent) });
    clients.push(bob);
    const seen: number[] = [];
    const errors: unknown[] = [];
    bob.subscribe(MessageAddedDocument, { conversationId, after: 0 }, { next: (d) => seen.push(d.messageAdded.seq), error: (e) => errors.push(e) });
    await until(() => bob.connection.state === 'connected', 20_000, 'the socket after the refresh');
    await alice.client.request(SendMessageDocument, { input: { conversationId, body: 'after 4401' } });
    await until(() => seen.length === 1, 20_000, 'the message');
    expect(errors).toEqual([]);
    expect(sent.filter((n) => n === 'RefreshSession')).toHaveLength(1);
  });

  it('retries a mutation whose answer was lost with the same idempotency key: stored once', async () => {
    const alice = track(await signedUp('Alice Lost'));
    const bob = track(await signedUp('Bob Lost'));
    const conversationId = await conversationBetween(alice.client, bob.session.userId);
    let dropped = 0;
    const keys: string[] = [];
    // The server answers the first SendMessage; its answer never reaches the client.
    const losingFetch: typeof fetch = async (input, init) => {
      const body = JSON.parse(String(init?.body)) as { operationName?: string; variables?: { input?: { idempotencyKey?: string } } };
      const response = await fetch(input, init);
      if (body.operationName !== 'SendMessage') return response;
      keys.push(body.variables!.input!.idempotencyKey!);
      if (dropped++ > 0) return response;
      await response.text();
      throw new TypeError('fetch failed: connection reset');
    };
    const sender = stackClient({ storage: memoryTokens(alice.stored), fetch: losingFetch });
    clients.push(sender);
    const { sendMessage } = await sender.request(SendMessageDocument, { input: { conversationId, body: 'exactly once' } });
    expect(dropped).toBe(2);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    const { conversation } = await alice.client.request(MessagesDocument, { conversationId, first: 50 });
    const stored = conversation!.messages.edges.filter((e) => e.node.body === 'exactly once');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.node.id).toBe(sendMessage.id);
  });
});
