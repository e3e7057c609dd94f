import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import {
  type AsyncQueue,
  AUTHORIZE_ONLY_EXTENSION,
  AUTHORIZED_EXTENSION,
  createAsyncQueue,
  CURSOR_EXTENSION,
  IDENTITY_EXTENSION,
  REQUEST_ID_EXTENSION,
} from '@finder/platform/realtime';
import { signIdentity, type Viewer } from '@finder/platform/auth';
import type { Logger } from '@finder/platform/config';
import type { DocumentNode, GraphQLError, GraphQLFormattedError } from 'graphql';
import type { FormattedExecutionResult } from 'graphql-ws';
import { createEntityBatcher } from './entity-batcher.ts';
import { documentText, stableJson, viewerKey } from './keys.ts';
import type { SubscriptionMetrics } from './metrics.ts';
import { EVENT_SOURCE, type SubscriptionPlan } from './plan.ts';
import { createSharedCompletions } from './shared-completions.ts';
import type { LoadedSupergraph } from './supergraph.ts';
import type { UpstreamPool } from './upstream.ts';
import type { ViewerScope } from './viewer-scope.ts';

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
interface Member {
  deliver: Deliver;
  done: AsyncQueue<never>;
}

/** Groups that every authorized viewer may share carry this instead of a viewer in their key. */
const ANY_VIEWER = '*';

interface Group {
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
  lastCursor: number | null;
  unsubscribe: (() => void) | null;
  /** Events are completed and delivered strictly in arrival order. */
  chain: Promise<void>;
  attempts: number;
  closed: boolean;
}

const retryDelay = (attempts: number) => Math.min(50 * 2 ** attempts, 3_000);
const INTERNAL_ERROR: GraphQLFormattedError = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };

/**
 * Federated subscriptions. Identical client subscriptions share one group with one upstream
 * subscription on the owning subgraph; every event is completed once through the rest of the query
 * plan and fanned out to the group's members.
 *
 * Which subscriptions are identical: same document and variables, and the same viewer, unless every
 * selected field is declared viewer-independent (see viewer-scope.ts). Then viewers share a group,
 * but each is authorized on its own first: the owning subgraph runs the subscription's resolver for
 * that viewer (an `authorizeOnly` subscribe, see subgraph-ws.ts) and only a viewer it accepts
 * joins. Entity fetches of simultaneous events are batched across groups (entity-batcher.ts).
 */
export function createSubscriptionEngine(options: {
  loaded: LoadedSupergraph;
  plan: (document: DocumentNode, operationName: string | null | undefined) => SubscriptionPlan;
  pool: UpstreamPool;
  services: Record<string, GraphQLDataSource>;
  scope: ViewerScope;
  identitySecret: string;
  logger: Logger;
  metrics: SubscriptionMetrics;
  formatError: (error: GraphQLError) => GraphQLFormattedError;
  /** How long entity fetches of different groups wait to be batched (0: the current event-loop turn). */
  entityBatchWindowMs: number;
  /** How long a completed event stays available to other groups receiving the same event. */
  completionShareMs: number;
}) {
  const { loaded, pool, logger, metrics } = options;
  const groups = new Map<string, Group>();
  const memberships = new Map<Member, Group>();
  const batched = createEntityBatcher({ independent: options.scope.entityFetch, windowMs: options.entityBatchWindowMs });
  const services = Object.fromEntries(Object.entries(options.services).map(([name, source]) => [name, batched(source)]));
  const completions = createSharedCompletions<ClientEvent>({ retentionMs: options.completionShareMs, maxEntries: 10_000 });
  const planIds = new WeakMap<SubscriptionPlan, number>();
  let nextPlanId = 0;
  /** Plans are cached per document and operation name, so a plan's identity stands for both. */
  const planId = (plan: SubscriptionPlan) => {
    let id = planIds.get(plan);
    if (id === undefined) planIds.set(plan, (id = nextPlanId++));
    return id;
  };

  function upstreamVariables(plan: SubscriptionPlan, request: SubscribeRequest, cursor: number | null): Record<string, unknown> {
    const variables: Record<string, unknown> = {};
    for (const name of plan.primary.variableUsages ?? []) {
      if (name in request.variables) variables[name] = request.variables[name];
    }
    if (plan.cursor) variables[plan.cursor.variable] = cursor ?? plan.cursor.initial(request.variables);
    return variables;
  }

  const upstreamPayload = (plan: SubscriptionPlan, request: SubscribeRequest, cursor: number | null, authorizeOnly: boolean) => ({
    query: plan.primary.operation,
    operationName: plan.primary.operationName ?? null,
    variables: upstreamVariables(plan, request, cursor),
    extensions: {
      [IDENTITY_EXTENSION]: signIdentity(request.viewer, options.identitySecret),
      [REQUEST_ID_EXTENSION]: request.requestId,
      ...(authorizeOnly ? { [AUTHORIZE_ONLY_EXTENSION]: true } : {}),
    },
  });

  function subscribeUpstream(group: Group) {
    const { primary } = group.plan;
    // After a failure the upstream is re-established for a current member: the first may have left.
    group.representative = group.members.values().next().value ?? group.representative;
    group.unsubscribe = pool.subscribe(primary.serviceName, upstreamPayload(group.plan, group.representative, group.lastCursor, false), {
      next: (result) => {
        group.attempts = 0;
        metrics.events.inc({ subgraph: primary.serviceName });
        const cursor = result.extensions?.[CURSOR_EXTENSION];
        if (typeof cursor === 'number') {
          // Never deliver an event twice, whatever the upstream replays after a re-subscription.
          if (group.lastCursor !== null && cursor <= group.lastCursor) return;
          group.lastCursor = cursor;
        }
        group.chain = group.chain.then(() => complete(group, result)).then(
          (event) => broadcast(group, event),
          (err) => {
            logger.error({ err, key: group.key }, 'completing a subscription event failed');
            broadcast(group, { data: null, errors: [INTERNAL_ERROR] });
          },
        );
      },
      refused: (errors) => {
        void group.chain.then(() => {
          if (!group.shared) {
            broadcast(group, { errors: errors as GraphQLFormattedError[] });
            return close(group);
          }
          // The representative's access is gone (or the stream itself): every member learns its
          // own verdict again, and those still authorized continue from the last delivered cursor.
          const members = [...group.members];
          close(group, false);
          for (const [member, request] of members) authorizeThenJoin(member, request, group.plan, group.lastCursor);
        });
      },
      lost: (reason) => {
        if (group.closed) return;
        group.unsubscribe = null;
        const delay = retryDelay(group.attempts++);
        logger.warn({ subgraph: primary.serviceName, reason, delay, cursor: group.lastCursor }, 'upstream subscription lost; re-subscribing');
        metrics.resubscribes.inc({ subgraph: primary.serviceName });
        setTimeout(() => {
          if (!group.closed) subscribeUpstream(group);
        }, delay).unref();
      },
      complete: () => void group.chain.then(() => close(group)),
    }, group.completionKey);
  }

  /**
   * Completes an event once for every group whose result cannot differ: same operation and
   * variables, the same event data, and nothing in the rest of the plan that depends on the viewer.
   */
  function complete(group: Group, event: ClientEvent): Promise<ClientEvent> {
    if (!event.data) return Promise.resolve(event);
    if (!group.plan.restViewerIndependent || event.errors?.length) {
      metrics.completions.inc({ outcome: 'executed' });
      return execute(group, event);
    }
    const { result, shared } = completions.share(`${group.completionKey}\u0000${dataKey(event.data)}`, () => execute(group, event));
    metrics.completions.inc({ outcome: shared ? 'shared' : 'executed' });
    return result;
  }

  /** A merged upstream frame is parsed once for all its subscriptions: its data, keyed once. */
  const dataKeys = new WeakMap<object, string>();
  function dataKey(data: Record<string, unknown>): string {
    let key = dataKeys.get(data);
    if (key === undefined) dataKeys.set(data, (key = JSON.stringify(data)));
    return key;
  }

  async function execute(group: Group, event: ClientEvent): Promise<ClientEvent> {
    // The executor merges entity fetches into the event's data, which a merged upstream frame
    // shares between subscriptions: each execution works on its own copy.
    const data = structuredClone(event.data) as Record<string, unknown>;
    const source: GraphQLDataSource = {
      process: async () => ({ data, errors: event.errors as never }),
    };
    const { representative } = group;
    const result = await executeQueryPlan(
      group.plan.executable,
      { ...services, [EVENT_SOURCE]: source } as ServiceMap,
      {
        request: { variables: representative.variables },
        context: { viewer: representative.viewer, requestId: representative.requestId },
        logger,
        metrics: {},
        cache: undefined,
      } as never,
      group.plan.operationContext,
      loaded.supergraphGraphQLSchema,
      loaded.apiSchema,
    );
    return {
      data: (result.data ?? null) as Record<string, unknown> | null,
      ...(result.errors?.length ? { errors: result.errors.map((e) => options.formatError(e as GraphQLError)) } : {}),
    };
  }

  const payloadTexts = new WeakMap<ClientEvent, string>();
  function broadcast(group: Group, event: ClientEvent) {
    let json = payloadTexts.get(event);
    if (json === undefined) payloadTexts.set(event, (json = JSON.stringify(event)));
    for (const member of group.members.keys()) member.deliver(json);
    metrics.deliveries.inc(group.members.size);
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

  function leave(member: Member) {
    metrics.clientSubscriptions.dec();
    const group = memberships.get(member);
    if (!group) return;
    memberships.delete(member);
    const request = group.members.get(member);
    group.members.delete(member);
    if (group.members.size === 0) return close(group);
    // Entity fetches go on with the identity of someone still listening.
    if (group.representative === request) group.representative = group.members.values().next().value!;
  }

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
        completionKey: `${planId(plan)}\u0000${variablesKey}`,
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
      subscribeUpstream(group);
    } else {
      group.members.set(member, request);
    }
    memberships.set(member, group);
  }

  /**
   * Asks the owning subgraph whether this viewer may subscribe (its resolver runs for this viewer's
   * identity); only then does the member join the group shared between viewers.
   */
  function authorizeThenJoin(member: Member, request: SubscribeRequest, plan: SubscriptionPlan, resumeAfter: number | null, attempts = 0) {
    if (member.done.closed) return;
    const subgraph = plan.primary.serviceName;
    let settled = false;
    const verdict = (outcome: string) => {
      settled = true;
      metrics.authorizations.inc({ subgraph, outcome });
    };
    const refuse = (errors: readonly GraphQLFormattedError[]) => {
      verdict('refused');
      member.deliver(JSON.stringify({ errors }));
      member.done.end();
    };
    const affinity = `${planId(plan)}\u0000${stableJson(request.variables)}`;
    const stop = pool.subscribe(subgraph, upstreamPayload(plan, request, resumeAfter, true), {
      next: (result) => {
        if (settled) return;
        if (result.extensions?.[AUTHORIZED_EXTENSION] === true) {
          verdict('authorized');
          join(member, request, plan, ANY_VIEWER, resumeAfter);
        } else if (!result.data && result.errors?.length) {
          refuse(result.errors);
        } else {
          // A subgraph that does not know `authorizeOnly` started a real stream: this viewer
          // keeps to its own group, authorized by that group's own upstream subscription.
          verdict('unsupported');
          stop();
          join(member, request, plan, viewerKey(request.viewer), resumeAfter);
        }
      },
      refused: (errors) => {
        if (!settled) refuse(errors as GraphQLFormattedError[]);
      },
      lost: (reason) => {
        if (settled || member.done.closed) return;
        const delay = retryDelay(attempts);
        logger.warn({ subgraph, reason, delay }, 'authorizing a shared subscription lost its socket; asking again');
        setTimeout(() => authorizeThenJoin(member, request, plan, resumeAfter, attempts + 1), delay).unref();
      },
      complete: () => {
        if (!settled) refuse([{ message: 'The subgraph ended the subscription without authorizing it', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      },
    }, affinity);
  }

  return {
    /**
     * Starts a client subscription whose events `deliver` writes; the returned iterator yields
     * nothing and ends when the subscription does (graphql-ws then sends `complete`), and its
     * `return()` (the client's `complete`, or its socket closing) leaves the group.
     */
    subscribe(request: SubscribeRequest, deliver: Deliver): AsyncIterableIterator<never> {
      const plan = options.plan(request.document, request.operationName);
      const member: Member = { deliver, done: createAsyncQueue<never>(() => leave(member)) };
      metrics.clientSubscriptions.inc();
      if (plan.viewerIndependent) authorizeThenJoin(member, request, plan, null);
      else join(member, request, plan, viewerKey(request.viewer), null);
      return member.done;
    },
    stats: () => ({ groups: groups.size, members: memberships.size }),
    closeAll() {
      for (const group of [...groups.values()]) close(group);
    },
  };
}

/**
 * A caller may share a group's stream only from where the group is: a cursor subscription whose
 * group has already delivered past the caller's `after` would skip the replay the caller asked for.
 */
function canJoin(group: Group, after: number | null): boolean {
  if (!group.plan.cursor || group.lastCursor === null) return true;
  return after === null || after >= group.lastCursor;
}
