import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import { signIdentity, type Viewer } from '@finder/platform/auth';
import { createAsyncQueue, type AsyncQueue } from '@finder/platform/async-queue';
import type { Logger } from '@finder/platform/logger';
import { print, type DocumentNode, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { FormattedExecutionResult } from 'graphql-ws';
import type { SubscriptionMetrics } from './metrics.ts';
import type { SubscriptionPlan } from './plan.ts';
import type { LoadedSupergraph } from './supergraph.ts';
import type { UpstreamPool } from './upstream.ts';

export interface SubscribeRequest {
  document: DocumentNode;
  operationName: string | null | undefined;
  variables: Record<string, unknown>;
  viewer: Viewer;
  requestId: string;
}

export type ClientEvent = FormattedExecutionResult<Record<string, unknown>>;

/** Where each event enters the plan: a data source that answers the primary fetch with the event. */
const EVENT_SOURCE = '__subscription_event__';

interface Group {
  key: string;
  plan: SubscriptionPlan;
  executable: QueryPlan;
  members: Set<AsyncQueue<ClientEvent>>;
  request: SubscribeRequest;
  lastCursor: number | null;
  unsubscribe: (() => void) | null;
  /** Events are completed and delivered strictly in arrival order. */
  chain: Promise<void>;
  attempts: number;
  closed: boolean;
}

/**
 * Federated subscriptions: identical client subscriptions (same document, variables and identity)
 * share one group with one upstream subscription on the owning subgraph; every event is completed
 * once through the rest of the query plan and fanned out to the group's members.
 */
export function createSubscriptionEngine(options: {
  loaded: LoadedSupergraph;
  plan: (document: DocumentNode, operationName: string | null | undefined) => SubscriptionPlan;
  pool: UpstreamPool;
  services: Record<string, GraphQLDataSource>;
  identitySecret: string;
  logger: Logger;
  metrics: SubscriptionMetrics;
  formatError: (error: GraphQLError) => GraphQLFormattedError;
}) {
  const { loaded, pool, logger, metrics } = options;
  const groups = new Map<string, Group>();

  function upstreamVariables(group: Group): Record<string, unknown> {
    const { primary, cursor } = group.plan;
    const variables: Record<string, unknown> = {};
    for (const name of primary.variableUsages ?? []) {
      if (name in group.request.variables) variables[name] = group.request.variables[name];
    }
    if (cursor) variables[cursor.variable] = group.lastCursor ?? cursor.initial(group.request.variables);
    return variables;
  }

  function subscribeUpstream(group: Group) {
    const { primary } = group.plan;
    group.unsubscribe = pool.subscribe(
      primary.serviceName,
      {
        query: primary.operation,
        operationName: primary.operationName ?? null,
        variables: upstreamVariables(group),
        extensions: { identity: signIdentity(group.request.viewer, options.identitySecret), requestId: group.request.requestId },
      },
      {
        next: (result) => {
          group.attempts = 0;
          metrics.events.inc({ subgraph: primary.serviceName });
          const cursor = result.extensions?.cursor;
          if (typeof cursor === 'number') {
            // Never deliver an event twice, whatever the upstream replays after a re-subscription.
            if (group.lastCursor !== null && cursor <= group.lastCursor) return;
            group.lastCursor = cursor;
          }
          group.chain = group.chain.then(() => complete(group, result)).then(
            (event) => broadcast(group, event),
            (err) => {
              logger.error({ err, key: group.key }, 'completing a subscription event failed');
              broadcast(group, { data: null, errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
            },
          );
        },
        refused: (errors) => {
          void group.chain.then(() => {
            broadcast(group, { errors: errors as GraphQLFormattedError[] });
            close(group);
          });
        },
        lost: (reason) => {
          if (group.closed) return;
          group.unsubscribe = null;
          const delay = Math.min(50 * 2 ** group.attempts++, 3_000);
          logger.warn({ subgraph: primary.serviceName, reason, delay, cursor: group.lastCursor }, 'upstream subscription lost; re-subscribing');
          metrics.resubscribes.inc({ subgraph: primary.serviceName });
          setTimeout(() => {
            if (!group.closed) subscribeUpstream(group);
          }, delay).unref();
        },
        complete: () => void group.chain.then(() => close(group)),
      },
    );
  }

  async function complete(group: Group, event: ClientEvent): Promise<ClientEvent> {
    if (!event.data) return event;
    const source: GraphQLDataSource = {
      // Merging writes into the response, so each execution gets its own copy of the event.
      process: async () => ({ data: structuredClone(event.data) as Record<string, unknown>, errors: event.errors as never }),
    };
    const result = await executeQueryPlan(
      group.executable,
      { ...options.services, [EVENT_SOURCE]: source } as ServiceMap,
      {
        request: { variables: group.request.variables },
        context: { viewer: group.request.viewer, requestId: group.request.requestId },
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

  function broadcast(group: Group, event: ClientEvent) {
    for (const member of group.members) member.push(event);
    metrics.deliveries.inc(group.members.size);
  }

  function close(group: Group) {
    if (group.closed) return;
    group.closed = true;
    groups.delete(group.key);
    group.unsubscribe?.();
    metrics.upstreamSubscriptions.dec({ subgraph: group.plan.primary.serviceName });
    for (const member of [...group.members]) member.end();
  }

  return {
    subscribe(request: SubscribeRequest): AsyncQueue<ClientEvent> {
      const plan = options.plan(request.document, request.operationName);
      let key = groupKey(request);
      let group = groups.get(key);
      if (group && !canJoin(group, request)) {
        // The group has moved past this caller's cursor: it gets its own upstream, which replays.
        key = `${key}\u0000${crypto.randomUUID()}`;
        group = undefined;
      }
      if (!group) {
        const eventFetch: FetchNode = { ...plan.primary, serviceName: EVENT_SOURCE };
        const node: PlanNode = plan.rest ? { kind: 'Sequence', nodes: [eventFetch, plan.rest] } : eventFetch;
        group = {
          key,
          plan,
          executable: { kind: 'QueryPlan', node },
          members: new Set(),
          request,
          lastCursor: null,
          unsubscribe: null,
          chain: Promise.resolve(),
          attempts: 0,
          closed: false,
        };
        groups.set(key, group);
        metrics.upstreamSubscriptions.inc({ subgraph: plan.primary.serviceName });
        subscribeUpstream(group);
      }
      const joined = group;
      const member = createAsyncQueue<ClientEvent>(() => {
        joined.members.delete(member);
        metrics.clientSubscriptions.dec();
        if (joined.members.size === 0) close(joined);
      });
      joined.members.add(member);
      metrics.clientSubscriptions.inc();
      return member;
    },
    stats: () => ({ groups: groups.size, members: [...groups.values()].reduce((n, g) => n + g.members.size, 0) }),
    closeAll() {
      for (const group of [...groups.values()]) close(group);
    },
  };
}

/**
 * A caller may share a group's stream only from where the group is: a cursor subscription whose
 * group has already delivered past the caller's `after` would skip the replay the caller asked for.
 */
function canJoin(group: Group, request: SubscribeRequest): boolean {
  const cursor = group.plan.cursor;
  if (!cursor || group.lastCursor === null) return true;
  const after = cursor.initial(request.variables);
  return after === null || after >= group.lastCursor;
}

/** Subscriptions are shared only between callers the subgraphs would authorize identically. */
function groupKey({ document, operationName, variables, viewer }: SubscribeRequest): string {
  return [viewer.id, viewer.role, operationName ?? '', print(document), stableJson(variables)].join('\u0000');
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}
