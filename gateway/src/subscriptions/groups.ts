import type { Viewer } from '@finder/platform/auth';
import type { AsyncQueue } from '@finder/platform/realtime';
import type { DocumentNode } from 'graphql';
import type { FormattedExecutionResult } from 'graphql-ws';
import { completionKey, documentText, stableJson } from './keys.ts';
import type { SubscriptionMetrics } from './metrics.ts';
import type { SubscriptionPlan } from './plan.ts';

export interface SubscribeRequest {
  document: DocumentNode;
  operationName: string | null | undefined;
  variables: Record<string, unknown>;
  viewer: Viewer;
  requestId: string;
}

export type ClientEvent = FormattedExecutionResult<Record<string, unknown>>;

/**
 * Writes one event to the client, given as the JSON text of its payload: the text is made once per
 * event and shared by every member receiving it (and by every group sharing its completion).
 */
export type Deliver = (payloadJson: string) => void;

/** A client subscription: events go straight to its socket; `done` ends when the subscription does. */
export interface Member {
  deliver: Deliver;
  done: AsyncQueue<never>;
}

/** Groups that every authorized viewer may share carry this instead of a viewer in their key. */
export const ANY_VIEWER = '*';

export interface Group {
  key: string;
  /**
   * What, besides the event itself, a completion depends on when it does not depend on the viewer:
   * the plan (document and operation name) and the variables. Short, as it is hashed per event.
   */
  completionKey: string;
  plan: SubscriptionPlan;
  /** Shared between viewers (each authorized on its own before joining). */
  shared: boolean;
  /** Each member with its own request: its identity is used if it becomes the representative. */
  members: Map<Member, SubscribeRequest>;
  /** Whose identity the upstream subscription and the entity fetches carry. */
  representative: SubscribeRequest;
  /** Cursor of the last event the group took for delivery: where a re-subscription resumes. */
  lastCursor: number | null;
  unsubscribe: (() => void) | null;
  /** Events are completed and delivered strictly in arrival order. */
  chain: Promise<void>;
  attempts: number;
  closed: boolean;
}

/**
 * Who is in which group. Identical client subscriptions (same document and variables, and the same
 * viewer scope: one viewer, or ANY_VIEWER) are members of one group, which `open` gives one
 * upstream subscription; the last member leaving closes it.
 */
export function createGroups(options: {
  metrics: SubscriptionMetrics;
  /** Starts the upstream subscription of a new group (its first member is already in). */
  open: (group: Group) => void;
}) {
  const { metrics } = options;
  const groups = new Map<string, Group>();
  const memberships = new Map<Member, Group>();

  /** Adds a member to the group of its key, opening one if none can take it from its cursor. */
  function join(member: Member, request: SubscribeRequest, plan: SubscriptionPlan, scope: string, resumeAfter: number | null) {
    if (member.done.closed) return;
    const variablesKey = stableJson(request.variables);
    const operationKey = `${request.operationName ?? ''}\u0000${documentText(request.document)}\u0000${variablesKey}`;
    let key = `${scope}\u0000${operationKey}`;
    const after = resumeAfter ?? plan.cursor?.initial(request.variables) ?? null;
    let group = groups.get(key);
    if (group && !canJoin(group, after)) {
      // The group has moved past this caller's cursor: it gets its own upstream, which replays.
      key = `${key}\u0000${crypto.randomUUID()}`;
      group = undefined;
    }
    if (!group) {
      group = {
        key,
        completionKey: completionKey(plan, variablesKey),
        plan,
        shared: scope === ANY_VIEWER,
        members: new Map(),
        representative: request,
        lastCursor: resumeAfter,
        unsubscribe: null,
        chain: Promise.resolve(),
        attempts: 0,
        closed: false,
      };
      groups.set(key, group);
      metrics.upstreamSubscriptions.inc({ subgraph: plan.primary.serviceName });
      group.members.set(member, request);
      options.open(group);
    } else {
      group.members.set(member, request);
    }
    memberships.set(member, group);
  }

  function leave(member: Member) {
    const group = memberships.get(member);
    if (!group) return;
    memberships.delete(member);
    const request = group.members.get(member);
    group.members.delete(member);
    if (group.members.size === 0) return close(group);
    // Entity fetches go on with the identity of someone still listening.
    if (group.representative === request) group.representative = group.members.values().next().value!;
  }

  /** Closes a group; its members end too unless they are about to move to another group. */
  function close(group: Group, endMembers = true) {
    if (group.closed) return;
    group.closed = true;
    if (groups.get(group.key) === group) groups.delete(group.key);
    group.unsubscribe?.();
    metrics.upstreamSubscriptions.dec({ subgraph: group.plan.primary.serviceName });
    const members = [...group.members.keys()];
    group.members.clear();
    for (const member of members) {
      memberships.delete(member);
      if (endMembers) member.done.end();
    }
  }

  const payloadTexts = new WeakMap<ClientEvent, string>();
  /** Hands an event to every member, as one JSON text however many members and groups receive it. */
  function broadcast(group: Group, event: ClientEvent) {
    let json = payloadTexts.get(event);
    if (json === undefined) payloadTexts.set(event, (json = JSON.stringify(event)));
    for (const member of group.members.keys()) member.deliver(json);
    metrics.deliveries.inc(group.members.size);
  }

  return {
    join,
    leave,
    close,
    broadcast,
    stats: () => ({ groups: groups.size, members: memberships.size }),
    closeAll() {
      for (const group of [...groups.values()]) close(group);
    },
  };
}

export type Groups = ReturnType<typeof createGroups>;

/**
 * Takes an upstream event's cursor as the group's last one. False for an event at or before it,
 * which an upstream replays after a re-subscription: never deliver an event twice.
 */
export function advanceCursor(group: Group, cursor: unknown): boolean {
  if (typeof cursor !== 'number') return true;
  if (group.lastCursor !== null && cursor <= group.lastCursor) return false;
  group.lastCursor = cursor;
  return true;
}

/**
 * A caller may share a group's stream only from where the group is: a cursor subscription whose
 * group has already delivered past the caller's `after` would skip the replay the caller asked for.
 */
export function canJoin(group: Group, after: number | null): boolean {
  if (!group.plan.cursor || group.lastCursor === null) return true;
  return after === null || after >= group.lastCursor;
}
