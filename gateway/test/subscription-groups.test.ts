import type { Viewer } from '@finder/platform/auth';
import { createAsyncQueue } from '@finder/platform/realtime';
import { parse } from 'graphql';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { advanceCursor, ANY_VIEWER, createGroups, type Group, type Member, type SubscribeRequest } from '../src/subscriptions/groups.ts';
import { createSubscriptionMetrics } from '../src/subscriptions/metrics.ts';
import { createSubscriptionPlanner } from '../src/subscriptions/plan.ts';
import { loadSupergraph } from '../src/supergraph.ts';
import { createViewerScope } from '../src/subscriptions/viewer-scope.ts';
import { fixtureSupergraphSdl } from './fixtures/supergraph.ts';

const loaded = loadSupergraph(fixtureSupergraphSdl());
const planner = createSubscriptionPlanner(loaded, createViewerScope(loaded.supergraphGraphQLSchema));
const document = parse('subscription($t: String!, $after: Int) { postAdded(topic: $t, after: $after) { seq body } }');
const plan = planner(document, undefined);

const viewer = (id: string): Viewer => ({ id, role: 'BUSINESS', sessionId: `session-${id}` });
const request = (id: string, variables: Record<string, unknown> = { t: 'news' }): SubscribeRequest => ({
  document,
  operationName: undefined,
  variables,
  viewer: viewer(id),
  requestId: `request-${id}`,
});

function setup() {
  const opened: Group[] = [];
  const unsubscribed: Group[] = [];
  const groups = createGroups({
    metrics: createSubscriptionMetrics(new Registry()),
    open: (group) => {
      opened.push(group);
      group.unsubscribe = () => unsubscribed.push(group);
    },
  });
  const member = (): Member & { payloads: string[] } => {
    const payloads: string[] = [];
    const m: Member & { payloads: string[] } = { payloads, deliver: (json) => payloads.push(json), done: createAsyncQueue<never>(() => groups.leave(m)) };
    return m;
  };
  return { groups, opened, unsubscribed, member };
}

describe('subscription groups', () => {
  it('puts identical subscriptions in one group with one upstream, and closes it when the last member leaves', () => {
    const { groups, opened, unsubscribed, member } = setup();
    const [a, b] = [member(), member()];
    groups.join(a, request('alice'), plan, ANY_VIEWER, null);
    groups.join(b, request('bob'), plan, ANY_VIEWER, null);
    expect(opened).toHaveLength(1);
    expect(groups.stats()).toEqual({ groups: 1, members: 2 });

    groups.broadcast(opened[0]!, { data: { postAdded: { seq: 1, body: 'x' } } });
    expect(a.payloads).toEqual(['{"data":{"postAdded":{"seq":1,"body":"x"}}}']);
    expect(b.payloads).toEqual(a.payloads);

    // The representative leaves: the upstream stays, carried by someone still listening.
    void a.done.return!();
    expect(opened[0]!.representative.viewer.id).toBe('bob');
    expect(unsubscribed).toHaveLength(0);
    void b.done.return!();
    expect(unsubscribed).toEqual(opened);
    expect(groups.stats()).toEqual({ groups: 0, members: 0 });
  });

  it('keeps different variables and different viewer scopes apart', () => {
    const { groups, opened, member } = setup();
    groups.join(member(), request('alice'), plan, ANY_VIEWER, null);
    groups.join(member(), request('alice', { t: 'sports' }), plan, ANY_VIEWER, null);
    groups.join(member(), request('alice'), plan, 'alice', null);
    expect(opened).toHaveLength(3);
  });

  it('gives a caller whose cursor the group has passed a group of its own, which replays from that cursor', () => {
    const { groups, opened, member } = setup();
    const news = { t: 'news', after: 0 };
    groups.join(member(), request('alice', news), plan, ANY_VIEWER, null);
    expect(advanceCursor(opened[0]!, 5)).toBe(true);
    // Re-authorized members resume from the cursor the group had reached: they can share it.
    groups.join(member(), request('bob', news), plan, ANY_VIEWER, 5);
    expect(opened).toHaveLength(1);
    // A new caller asking for everything after 0 would miss 1 to 5 in the group at 5.
    groups.join(member(), request('carol', news), plan, ANY_VIEWER, null);
    expect(opened).toHaveLength(2);
    expect(opened[1]!.lastCursor).toBeNull();
    expect(groups.stats()).toEqual({ groups: 2, members: 3 });
  });

  it('takes each cursor once: a replayed event at or before the last one is refused', () => {
    const { groups, opened, member } = setup();
    groups.join(member(), request('alice'), plan, ANY_VIEWER, 3);
    const group = opened[0]!;
    expect(group.lastCursor).toBe(3);
    expect([3, 2, 4, 4, 5].map((cursor) => advanceCursor(group, cursor))).toEqual([false, false, true, false, true]);
    expect(group.lastCursor).toBe(5);
    // Events without a cursor (unordered fields) are always delivered.
    expect(advanceCursor(group, undefined)).toBe(true);
  });
});
