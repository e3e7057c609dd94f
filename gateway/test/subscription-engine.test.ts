import type { GraphQLDataSource } from '@apollo/gateway';
import { subgraphIdentitySecret, verifyIdentity, type Viewer } from '@finder/platform/auth';
import { createLogger } from '@finder/platform/config';
import { randomSecret } from '@finder/testing/keys';
import { subscribeScope } from '@finder/platform/realtime';
import { parse } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSubscriptionEngine } from '../src/subscriptions/engine.ts';
import { createSubscriptionMetrics } from '../src/subscriptions/metrics.ts';
import { createSubscriptionPlanner } from '../src/subscriptions/plan.ts';
import { loadSupergraph } from '../src/supergraph.ts';
import type { UpstreamSink } from '../src/subscriptions/upstream.ts';
import type { Upstreams } from '../src/subscriptions/upstream-request.ts';
import { createViewerScope } from '../src/subscriptions/viewer-scope.ts';
import { fixtureSupergraphSdl } from './fixtures/supergraph.ts';

const identitySecret = randomSecret();
const loaded = loadSupergraph(fixtureSupergraphSdl());
const scope = createViewerScope(loaded.supergraphGraphQLSchema);
const planner = createSubscriptionPlanner(loaded, scope);

/** One upstream subscribe the engine made, as the owning subgraph would see it. */
interface UpstreamCall {
  subgraph: string;
  payload: SubscribePayload;
  sink: UpstreamSink;
  viewerId: string | null;
  authorizeOnly: boolean;
  stopped: boolean;
}

/**
 * An in-memory upstream pool: it records every subscribe and lets the test play the subgraph
 * (events, a refusal, a lost socket) through the sink the engine handed it.
 */
function fakeUpstreams(): Upstreams & { calls: UpstreamCall[] } {
  const calls: UpstreamCall[] = [];
  return {
    calls,
    subscribe(subgraph, payload, sink) {
      const identity = verifyIdentity(payload.extensions?.identity as string, subgraphIdentitySecret(identitySecret, subgraph), subscribeScope(subgraph, payload));
      if (!identity.ok) throw new Error(`the engine sent an unsigned identity: ${identity.reason}`);
      const call: UpstreamCall = {
        subgraph,
        payload,
        sink,
        viewerId: identity.viewer?.id ?? null,
        authorizeOnly: payload.extensions?.authorizeOnly === true,
        stopped: false,
      };
      calls.push(call);
      return () => {
        call.stopped = true;
      };
    },
  };
}

/** The rest of these plans is empty: an entity fetch would be a bug in the test's premise. */
const noEntityFetches: GraphQLDataSource = {
  process: () => Promise.reject(new Error('no entity fetch expected')),
};

function engineWith(pool: Upstreams) {
  return createSubscriptionEngine({
    loaded,
    plan: planner,
    pool,
    services: { posts: noEntityFetches, people: noEntityFetches },
    scope,
    identitySecret,
    logger: createLogger('subscription-engine-test', 'silent'),
    metrics: createSubscriptionMetrics(new Registry()),
    formatError: (error) => error.toJSON(),
    entityBatchWindowMs: 0,
    completionShareMs: 1_000,
  });
}

const viewer = (id: string): Viewer => ({ id, role: 'BUSINESS', sessionId: `session-${id}` });

function follow(engine: ReturnType<typeof engineWith>, who: Viewer, query: string, variables: Record<string, unknown>) {
  const received: { data?: unknown; errors?: { extensions?: { code?: string } }[] }[] = [];
  const done = engine.subscribe(
    { document: parse(query), operationName: undefined, variables, viewer: who, requestId: `request-${who.id}` },
    (json) => received.push(JSON.parse(json)),
  );
  const client = { received, ended: false };
  void (async () => {
    for await (const _ of done);
    client.ended = true;
  })();
  return client;
}

async function until(condition: () => boolean, what: string) {
  for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error(`never happened: ${what}`);
}

const post = (seq: number, extra: Record<string, unknown> = {}) => ({
  data: { postAdded: { seq, body: `post ${seq}`, ...extra } },
  extensions: { cursor: seq },
});
const seqs = (client: { received: { data?: unknown }[] }) =>
  client.received.map((event) => (event.data as { postAdded?: { seq: number } } | null)?.postAdded?.seq ?? event);

describe('subscription engine against an in-memory upstream pool', () => {
  it('re-subscribes a group from its last delivered cursor after its upstream dies, delivering nothing twice', async () => {
    const pool = fakeUpstreams();
    const engine = engineWith(pool);
    // `servedBy` is viewer-dependent: the group is this viewer's own, with no authorization step.
    const query = 'subscription($t: String!, $after: Int) { postAdded(topic: $t, after: $after) { seq servedBy } }';
    const cursorVariable = planner(parse(query), undefined).cursor!.variable;
    const alice = follow(engine, viewer('alice'), query, { t: 'news', after: 0 });

    expect(pool.calls).toHaveLength(1);
    const [first] = pool.calls;
    expect(first).toMatchObject({ subgraph: 'posts', viewerId: 'alice', authorizeOnly: false });
    expect(first!.payload.variables?.[cursorVariable]).toBe(0);
    first!.sink.next(post(1, { servedBy: 'a' }));
    first!.sink.next(post(2, { servedBy: 'a' }));
    await until(() => alice.received.length === 2, 'two events delivered');

    first!.sink.lost('socket closed (1006)');
    await until(() => pool.calls.length === 2, 're-subscription');
    const second = pool.calls[1]!;
    expect(second).toMatchObject({ subgraph: 'posts', viewerId: 'alice', authorizeOnly: false });
    expect(second.payload.variables?.[cursorVariable]).toBe(2);

    // The new replica replays from the cursor it was given; the engine drops what it already delivered.
    second.sink.next(post(2, { servedBy: 'b' }));
    second.sink.next(post(3, { servedBy: 'b' }));
    await until(() => alice.received.length === 3, 'the event after the cursor delivered');
    expect(seqs(alice)).toEqual([1, 2, 3]);
    expect(alice.ended).toBe(false);
    expect(engine.stats()).toEqual({ groups: 1, members: 1 });
    engine.closeAll();
  });

  it('re-authorizes every member of a shared group after a refusal; those still allowed continue from the cursor', async () => {
    const pool = fakeUpstreams();
    const engine = engineWith(pool);
    // Every selected field is viewer-independent: viewers share one group, each authorized first.
    const query = 'subscription($t: String!, $after: Int) { postAdded(topic: $t, after: $after) { seq body } }';
    const cursorVariable = planner(parse(query), undefined).cursor!.variable;
    const clients = Object.fromEntries(['alice', 'bob', 'carol'].map((id) => [id, follow(engine, viewer(id), query, { t: 'news', after: 0 })]));
    const authorizeOnly = () => pool.calls.filter((c) => c.authorizeOnly && !c.stopped);
    const streams = () => pool.calls.filter((c) => !c.authorizeOnly);

    expect(authorizeOnly().map((c) => c.viewerId)).toEqual(['alice', 'bob', 'carol']);
    expect(streams()).toHaveLength(0);
    for (const call of authorizeOnly()) call.sink.next({ extensions: { authorized: true } });
    // One upstream stream for the three of them, carrying the first authorized viewer's identity.
    expect(streams()).toHaveLength(1);
    const shared = streams()[0]!;
    expect(shared.viewerId).toBe('alice');
    expect(engine.stats()).toEqual({ groups: 1, members: 3 });
    shared.sink.next(post(1));
    shared.sink.next(post(2));
    await until(() => Object.values(clients).every((c) => c.received.length === 2), 'two events to everyone');

    // Alice's access is revoked: the subgraph refuses the stream that carries her identity.
    shared.sink.refused([{ message: 'Not a reader of news any more', extensions: { code: 'FORBIDDEN' } }]);
    await until(() => pool.calls.filter((c) => c.authorizeOnly).length === 6, 'every member asked again');
    expect(shared.stopped).toBe(true);
    const again = pool.calls.slice(-3);
    expect(again.map((c) => [c.viewerId, c.authorizeOnly, c.payload.variables?.[cursorVariable]])).toEqual([
      ['alice', true, 2],
      ['bob', true, 2],
      ['carol', true, 2],
    ]);
    again[0]!.sink.refused([{ message: 'Not a reader of news any more', extensions: { code: 'FORBIDDEN' } }]);
    again[2]!.sink.next({ extensions: { authorized: true } });
    again[1]!.sink.next({ extensions: { authorized: true } });

    expect(streams()).toHaveLength(2);
    const resumed = streams()[1]!;
    expect(resumed.viewerId).toBe('carol');
    expect(resumed.payload.variables?.[cursorVariable]).toBe(2);
    resumed.sink.next(post(2));
    resumed.sink.next(post(3));
    await until(() => clients.bob!.received.length === 3 && clients.carol!.received.length === 3, 'the next event to those allowed');
    await until(() => clients.alice!.ended, 'the refused member ends');

    expect(seqs(clients.bob!)).toEqual([1, 2, 3]);
    expect(seqs(clients.carol!)).toEqual([1, 2, 3]);
    expect(clients.alice!.received.slice(0, 2).map((e) => (e.data as { postAdded: { seq: number } }).postAdded.seq)).toEqual([1, 2]);
    expect(clients.alice!.received.slice(2)).toEqual([{ errors: [{ message: 'Not a reader of news any more', extensions: { code: 'FORBIDDEN' } }] }]);
    expect(clients.bob!.ended || clients.carol!.ended).toBe(false);
    expect(engine.stats()).toEqual({ groups: 1, members: 2 });
    engine.closeAll();
  });
});
