import { gql, ok } from '@finder/testing/graphql-client';
import { until } from '@finder/testing/processes';
import { stackEnv } from '@finder/testing/stack';
import { connect, type Subscription, type TestClient } from '@finder/testing/ws-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric, startFederation, type Federation } from './fixtures/federation.ts';

/** Every selected field is declared @viewerIndependent (fixtures/posts.graphql, people.graphql). */
const SHARED = /* GraphQL */ `
  subscription Shared($topic: String!) { postAdded(topic: $topic) { seq body author { id name } } }`;
/** `seenBy` depends on the viewer: whoever selects it keeps a stream of their own. */
const VIEWER_DEPENDENT = /* GraphQL */ `
  subscription Mine($topic: String!) { postAdded(topic: $topic) { seq author { name seenBy } } }`;
const CLUB = /* GraphQL */ `subscription Club($club: String!) { clubPostAdded(club: $club) { body author { name } } }`;
/** The root field is not declared viewer-independent: one group per viewer, entity fetches batched. */
const PER_VIEWER = /* GraphQL */ `subscription PerViewer($topic: String!) { guardedPostAdded(topic: $topic) { body author { name } } }`;
const ADD_POST = /* GraphQL */ `
  mutation Add($topic: String!, $body: String!, $authorId: ID!) { addPost(topic: $topic, body: $body, authorId: $authorId) { seq } }`;

const unique = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

describe('subscriptions shared between viewers', () => {
  let fed: Federation;
  const clients: TestClient[] = [];
  const gateway = () => fed.gateways[0]!;
  const as = async (viewer: string) => {
    const c = connect(fed.wsUrl(gateway()), { authorization: `Bearer ${await fed.token(viewer)}` });
    clients.push(c);
    return c;
  };
  const upstream = () => metric(gateway().port, 'subscriptions_upstream', { subgraph: 'posts' });
  const authorizations = (outcome: string) => metric(gateway().port, 'subscriptions_authorizations_total', { subgraph: 'posts', outcome });
  const clientSubscriptions = () => metric(gateway().port, 'subscriptions_client');
  const frames = () => metric(gateway().port, 'subscriptions_upstream_frames_total', { subgraph: 'posts' });
  const events = () => metric(gateway().port, 'subscriptions_events_total', { subgraph: 'posts' });
  const completions = async () => ({
    executed: await metric(gateway().port, 'subscriptions_completions_total', { outcome: 'executed' }),
    shared: await metric(gateway().port, 'subscriptions_completions_total', { outcome: 'shared' }),
  });
  const publish = async (topic: string, body: string, authorId = 'u42') =>
    ok(await gql(fed.httpUrl(fed.gateways[1]!), ADD_POST, { topic, body, authorId }, { token: await fed.token('publisher') }));
  const peopleRequests = async () => ((await (await fetch(`http://127.0.0.1:${fed.people.port}/stats`)).json()) as { requests: number }).requests;

  beforeAll(async () => {
    // Wide batching and sharing windows on gateway A, so their assertions do not depend on timing.
    fed = await startFederation(stackEnv(), [{ SUBSCRIPTION_ENTITY_BATCH_MS: '200', SUBSCRIPTION_COMPLETION_SHARE_MS: '30000' }, {}]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose().catch(() => undefined)));
    await fed?.stop();
  });

  it('gives distinct viewers one upstream subscription when every selected field is viewer-independent, each authorized on its own', async () => {
    const topic = unique('shared');
    const [upstreamBefore, authorizedBefore, clientsBefore] = [await upstream(), await authorizations('authorized'), await clientSubscriptions()];
    const subs = await Promise.all(['v1', 'v2', 'v3'].map(async (v) => (await as(v)).subscribe(SHARED, { topic })));
    await until(async () => (await authorizations('authorized')) >= authorizedBefore + 3, 10_000, 'three authorizations');
    await until(async () => (await clientSubscriptions()) >= clientsBefore + 3, 10_000, 'three client subscriptions');
    expect(await upstream()).toBe(upstreamBefore + 1);

    await new Promise((r) => setTimeout(r, 300));
    await publish(topic, 'for all');
    for (const sub of subs) {
      expect(await sub.waitFor(1)).toEqual([{ data: { postAdded: { seq: 1, body: 'for all', author: { id: 'u42', name: 'Person u42' } } } }]);
    }

    for (const sub of subs) sub.stop();
    await until(async () => (await upstream()) === upstreamBefore, 10_000, 'shared upstream torn down by the last viewer');
  });

  it('never shares a viewer-dependent field between viewers, not even through a batched entity fetch', async () => {
    const topic = unique('mine');
    const upstreamBefore = await upstream();
    const [one, two] = await Promise.all(['v1', 'v2'].map(async (v) => (await as(v)).subscribe(VIEWER_DEPENDENT, { topic })));
    await until(async () => (await upstream()) === upstreamBefore + 2, 10_000, 'one upstream subscription per viewer');

    await new Promise((r) => setTimeout(r, 300));
    const before = await completions();
    await publish(topic, 'personal');
    expect((await one!.waitFor(1))[0]).toEqual({ data: { postAdded: { seq: 1, author: { name: 'Person u42', seenBy: 'v1' } } } });
    expect((await two!.waitFor(1))[0]).toEqual({ data: { postAdded: { seq: 1, author: { name: 'Person u42', seenBy: 'v2' } } } });
    // The same event, but `seenBy` depends on the viewer: each completes it on its own.
    expect(await completions()).toEqual({ executed: before.executed + 2, shared: before.shared });
    one!.stop();
    two!.stop();
  });

  it('refuses a viewer the owning subgraph does not authorize, however many share the stream already', async () => {
    const club = `${unique('club')}:m1,m2`;
    const [upstreamBefore, authorizedBefore, refusedBefore] = [await upstream(), await authorizations('authorized'), await authorizations('refused')];
    const first = (await as('m1')).subscribe(CLUB, { club });
    await until(async () => (await authorizations('authorized')) >= authorizedBefore + 1, 10_000, 'the first member authorized');

    const outsider = (await as('outsider')).subscribe(CLUB, { club });
    await until(async () => outsider.completed, 10_000, 'the outsider refused');
    expect(outsider.events).toEqual([{ errors: [expect.objectContaining({ message: 'You are not a member of this club', extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })] }]);
    expect(await authorizations('refused')).toBe(refusedBefore + 1);

    const second = (await as('m2')).subscribe(CLUB, { club });
    await until(async () => (await authorizations('authorized')) >= authorizedBefore + 2, 10_000, 'the second member authorized');
    expect(await upstream()).toBe(upstreamBefore + 1);

    await new Promise((r) => setTimeout(r, 300));
    await publish(club, 'members only');
    const expected = { data: { clubPostAdded: { body: 'members only', author: { name: 'Person u42' } } } };
    expect(await first.waitFor(1)).toEqual([expected]);
    expect(await second.waitFor(1)).toEqual([expected]);
    // The outsider's subscription ended with its refusal; nothing reached it afterwards.
    await new Promise((r) => setTimeout(r, 300));
    expect(outsider.events).toHaveLength(1);
    first.stop();
    second.stop();
  });

  it('completes one event once for many per-viewer groups when nothing fetched depends on the viewer', async () => {
    const topic = unique('batched');
    const viewers = ['b1', 'b2', 'b3', 'b4', 'b5'];
    const upstreamBefore = await upstream();
    const subs: Subscription[] = await Promise.all(viewers.map(async (v) => (await as(v)).subscribe(PER_VIEWER, { topic })));
    await until(async () => (await upstream()) === upstreamBefore + viewers.length, 10_000, 'one upstream subscription per viewer');

    await new Promise((r) => setTimeout(r, 300));
    const requestsBefore = await peopleRequests();
    const before = await completions();
    const [framesBefore, eventsBefore] = [await frames(), await events()];
    await publish(topic, 'batched');
    for (const sub of subs) expect(await sub.waitFor(1)).toEqual([{ data: { guardedPostAdded: { body: 'batched', author: { name: 'Person u42' } } } }]);
    // Five groups received the same event (each authorized on its own upstream subscription);
    // one of them completed it, with one entity fetch, and the other four took its result.
    expect(await completions()).toEqual({ executed: before.executed + 1, shared: before.shared + 4 });
    expect((await peopleRequests()) - requestsBefore).toBe(1);
    // The subgraph executed the five subscriptions, each for its viewer, and sent their equal
    // results as one merged frame on the socket they share.
    expect(await events()).toBe(eventsBefore + 5);
    expect(await frames()).toBe(framesBefore + 1);

    // A different event is completed again, and still once.
    await publish(topic, 'again');
    for (const sub of subs) expect((await sub.waitFor(2))[1]).toEqual({ data: { guardedPostAdded: { body: 'again', author: { name: 'Person u42' } } } });
    expect(await completions()).toEqual({ executed: before.executed + 2, shared: before.shared + 8 });
    for (const sub of subs) sub.stop();
  });
});
