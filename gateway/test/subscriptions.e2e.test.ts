import { gql, ok } from '@finder/testing/graphql-client';
import { until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { connect, type TestClient } from '@finder/testing/ws-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { metric, startFederation, type Federation } from './fixtures/federation.ts';

const POST_ADDED = /* GraphQL */ `
  subscription Follow($topic: String!, $after: Int) {
    postAdded(topic: $topic, after: $after) { seq body servedBy author { id name } }
  }`;
const ADD_POST = /* GraphQL */ `
  mutation Add($topic: String!, $body: String!, $authorId: ID!) { addPost(topic: $topic, body: $body, authorId: $authorId) { seq } }`;

const topic = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
type PostEvent = { postAdded: { seq: number; body: string; servedBy: string; author: { id: string; name: string } } };

describe('federated subscriptions through the gateway', () => {
  let fed: Federation;
  let token: string;
  const clients: TestClient[] = [];
  const client = (url: string, params?: Record<string, unknown>) => {
    const c = connect(url, params ?? { authorization: `Bearer ${token}` });
    clients.push(c);
    return c;
  };
  const publish = async (t: string, body: string, via: { port: number } | 'nginx' = fed.gateways[1]!, authorId = 'author-1') =>
    ok(await gql(fed.httpUrl(via), ADD_POST, { topic: t, body, authorId }, { token })).addPost.seq as number;

  beforeAll(async () => {
    fed = await startFederation(stackEnv(), [
      { WS_CONNECTION_INIT_TIMEOUT_MS: '1000', WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '5', WS_MAX_MESSAGE_BYTES: '16384' },
      { WS_CONNECT_RATE_PER_ADDRESS: '10' },
    ]);
    token = await fed.token('viewer-1');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose().catch(() => undefined)));
    await fed?.stop();
  });

  it('delivers on gateway A what was published through gateway B, with fields of the other subgraph', async () => {
    const t = topic('cross');
    const [onA, viaNginx] = [client(fed.wsUrl(fed.gateways[0]!)), client(fed.wsUrl('nginx'))];
    const subA = onA.subscribe<PostEvent>(POST_ADDED, { topic: t, after: 0 });
    const subN = viaNginx.subscribe<PostEvent>(POST_ADDED, { topic: t, after: 0 });
    await until(async () => (await metric(fed.gateways[0]!.port, 'subscriptions_client')) >= 1, 10_000, 'subscription on A');
    await new Promise((r) => setTimeout(r, 300));

    await publish(t, 'hello from B', fed.gateways[1]!, 'u42');
    const [event] = await subA.waitFor(1);
    expect(event).toEqual({ data: { postAdded: { seq: 1, body: 'hello from B', servedBy: expect.stringMatching(/^posts-[ab]$/), author: { id: 'u42', name: 'Person u42' } } } });
    expect((await subN.waitFor(1))[0]!.data!.postAdded.author.name).toBe('Person u42');

    // A late, identical subscriber on the same gateway still gets its replay from `after`.
    const late = client(fed.wsUrl(fed.gateways[0]!)).subscribe<PostEvent>(POST_ADDED, { topic: t, after: 0 });
    expect((await late.waitFor(1))[0]!.data!.postAdded.body).toBe('hello from B');
  });

  it('shares one upstream subscription among 200 identical client subscriptions', async () => {
    const gateway = fed.gateways[0]!;
    const t = topic('shared');
    const before = await metric(gateway.port, 'subscriptions_upstream', { subgraph: 'posts' });
    const fans = Array.from({ length: 200 }, () => client(fed.wsUrl(gateway)));
    const subs = fans.map((c) => c.subscribe<PostEvent>(POST_ADDED, { topic: t, after: 0 }));
    await until(async () => (await metric(gateway.port, 'subscriptions_client')) >= 200, 30_000, '200 client subscriptions');
    expect(await metric(gateway.port, 'subscriptions_upstream', { subgraph: 'posts' })).toBe(before + 1);

    await new Promise((r) => setTimeout(r, 300));
    await publish(t, 'to everyone');
    await Promise.all(subs.map((s) => s.waitFor(1)));
    expect(subs.every((s) => s.events[0]!.data!.postAdded.body === 'to everyone')).toBe(true);

    // The last client leaving tears the upstream subscription down.
    for (const s of subs) s.stop();
    await until(async () => (await metric(gateway.port, 'subscriptions_upstream', { subgraph: 'posts' })) === before, 10_000, 'upstream torn down');
  });

  it('misses nothing and repeats nothing when the serving subgraph replica is killed mid-stream', async () => {
    const t = topic('failover');
    const follower = client(fed.wsUrl('nginx'));
    const sub = follower.subscribe<PostEvent>(POST_ADDED, { topic: t, after: 0 });
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 1; i <= 20; i++) await publish(t, `m${i}`);
    const served = (await sub.waitFor(20))[19]!.data!.postAdded.servedBy;
    const victim = served === 'posts-a' ? fed.postsA : fed.postsB;

    const publishing = (async () => {
      for (let i = 21; i <= 80; i++) await publish(t, `m${i}`);
    })();
    await until(async () => sub.events.length >= 30, 20_000, '30 events');
    await victim.process.kill('SIGKILL');
    await publishing;

    const events = await sub.waitFor(80, 30_000);
    expect(events.map((e) => e.data!.postAdded.seq)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(events.slice(40).some((e) => e.data!.postAdded.servedBy !== served)).toBe(true);
    expect(sub.errors).toEqual([]);
    await fed.restart(victim);
  });

  it('misses nothing and repeats nothing across a Redis restart', async () => {
    const t = topic('redis');
    const follower = client(fed.wsUrl(fed.gateways[0]!));
    const sub = follower.subscribe<PostEvent>(POST_ADDED, { topic: t, after: 0 });
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 1; i <= 10; i++) await publish(t, `r${i}`);
    await sub.waitFor(10);

    await fed.redis.stop();
    for (let i = 11; i <= 15; i++) void publish(t, `r${i}`).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_000));
    await fed.redis.start();
    for (let i = 16; i <= 30; i++) await publish(t, `r${i}`);

    // Posts 11-15 were stored while Redis was down; the stream fills that gap from storage.
    const events = await sub.waitFor(30, 30_000);
    expect(events.map((e) => e.data!.postAdded.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(sub.errors).toEqual([]);
  });

  describe('bad input is refused cleanly while other clients are unaffected', () => {
    let witness: ReturnType<TestClient['subscribe']>;
    let witnessTopic: string;
    beforeAll(async () => {
      witnessTopic = topic('witness');
      witness = client(fed.wsUrl(fed.gateways[1]!)).subscribe(POST_ADDED, { topic: witnessTopic, after: 0 });
      await new Promise((r) => setTimeout(r, 300));
    });

    const closeOf = async (c: TestClient) => {
      await until(async () => c.closes.length > 0, 5_000, 'socket closed');
      return c.closes[0]!;
    };

    it('closes the socket with 4401 and a reason for an invalid or expired token, and refuses subscriptions without one', async () => {
      // No token: the connection is acknowledged (Apollo Sandbox opens one such first), its subscriptions are not.
      const missing = client(fed.wsUrl('nginx'), {});
      const anonymous = missing.subscribe(POST_ADDED, { topic: topic('anonymous'), after: 0 });
      await until(async () => anonymous.errors.length > 0, 5_000, 'anonymous refusal');
      expect(anonymous.errors[0]).toEqual([expect.objectContaining({ message: expect.stringMatching(/connection_init/), extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
      expect(anonymous.events).toEqual([]);
      expect(missing.closes).toEqual([]);
      const forged = client(fed.wsUrl('nginx'), { authorization: 'Bearer not.a.token' });
      expect(await closeOf(forged)).toEqual({ code: 4401, reason: 'Unauthorized: access token invalid' });
      const expired = client(fed.wsUrl('nginx'), { authorization: `Bearer ${await fed.token('viewer-1', -60)}` });
      expect(await closeOf(expired)).toEqual({ code: 4401, reason: 'Unauthorized: access token expired' });
    });

    it('closes a connection that never sends connection_init', async () => {
      const socket = new WebSocket(fed.wsUrl(fed.gateways[0]!), 'graphql-transport-ws');
      const code = await new Promise<number>((resolve) => socket.once('close', (c) => resolve(c)));
      expect(code).toBe(4408);
    });

    it('answers invalid documents, unknown fields, refused and excess subscriptions with coded errors', async () => {
      const c = client(fed.wsUrl(fed.gateways[0]!));
      const parse = c.subscribe('subscription { postAdded(topic: "x") { seq ');
      const unknown = c.subscribe('subscription { postAdded(topic: "x") { seq nope } }');
      const wrongType = c.subscribe('subscription { postAdded(topic: 42) { seq } }');
      const refused = c.subscribe('subscription { guardedPostAdded(topic: "secret-1") { seq } }');
      const query = c.subscribe('{ person(id: "1") { name } }');
      // Refusals at subscribe time arrive as an `error` message, or as a `next` with errors only
      // followed by `complete` when the subgraph's resolver refused (graphql-js's own shape).
      const failed = (s: ReturnType<TestClient['subscribe']>) => s.errors.length > 0 || (s.completed && s.events.length > 0);
      await until(async () => [parse, unknown, wrongType, refused, query].every(failed), 10_000, 'errors');
      const code = (s: ReturnType<TestClient['subscribe']>) =>
        ((s.errors[0] as { extensions?: { code?: string } }[] | undefined) ?? s.events[0]?.errors)?.[0]?.extensions?.code;
      expect(refused.events).toEqual([{ errors: [expect.objectContaining({ message: 'You may not follow this topic' })] }]);
      expect(code(parse)).toBe('GRAPHQL_PARSE_FAILED');
      expect(code(unknown)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(code(wrongType)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(code(refused)).toBe('FORBIDDEN');
      expect(code(query)).toBe('BAD_REQUEST');

      const subs = Array.from({ length: 6 }, (_, i) => c.subscribe(POST_ADDED, { topic: `limit-${i}` }));
      await until(async () => subs.some((s) => s.errors.length > 0), 10_000, 'the sixth refused');
      expect(subs.filter((s) => s.errors.length > 0).map(code)).toEqual(['RATE_LIMITED']);
      // Finished subscriptions free their slots: a new one is accepted again.
      for (const s of subs) s.stop();
      const again = c.subscribe(POST_ADDED, { topic: 'limit-again' });
      await new Promise((r) => setTimeout(r, 300));
      expect(again.errors).toEqual([]);
      expect(c.closes).toEqual([]);
    });

    it('drops a connection that sends an oversize message', async () => {
      const c = client(fed.wsUrl(fed.gateways[0]!));
      c.subscribe(POST_ADDED, { topic: 'x'.repeat(20_000) });
      expect((await closeOf(c)).code).toBe(1009);
    });

    it('refuses a flood of connection attempts from one address', async () => {
      const attempts = await Promise.all(
        Array.from({ length: 60 }, () =>
          new Promise<number>((resolve) => {
            const socket = new WebSocket(fed.wsUrl(fed.gateways[1]!), 'graphql-transport-ws');
            socket.once('open', () => {
              socket.close();
              resolve(101);
            });
            socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
            socket.once('error', () => resolve(-1));
          }),
        ),
      );
      expect(attempts.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(attempts.filter((s) => s === 101).length).toBeGreaterThan(0);
    });

    afterAll(async () => {
      await publish(witnessTopic, 'still here');
      expect((await witness.waitFor(1))[0]!.data).toMatchObject({ postAdded: { body: 'still here' } });
    });
  });

  it('tells clients to reconnect elsewhere (1012) when a gateway shuts down', async () => {
    const gateway = fed.gateways[0]!;
    const c = client(fed.wsUrl(gateway));
    c.subscribe(POST_ADDED, { topic: topic('shutdown') });
    await until(async () => (await metric(gateway.port, 'subscriptions_client')) >= 1, 10_000, 'subscribed');
    await gateway.process.kill('SIGTERM');
    await until(async () => c.closes.length > 0, 10_000, 'close');
    expect(c.closes[0]).toEqual({ code: 1012, reason: 'Service restart' });
  });
});
