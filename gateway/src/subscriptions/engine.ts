import type { GraphQLDataSource } from '@apollo/gateway';
import { createAsyncQueue, CURSOR_EXTENSION, PUBLISHED_AT_EXTENSION, TRACEPARENT_EXTENSION } from '@finder/platform/realtime';
import { inSpan, SpanKind } from '@finder/platform/telemetry';
import type { Logger } from '@finder/platform/config';
import type { DocumentNode, GraphQLError, GraphQLFormattedError } from 'graphql';
import { createAuthorization } from './authorization.ts';
import { createCompletion } from './completion.ts';
import { advanceCursor, createGroups, type Deliver, type Group, type Member, type SubscribeRequest } from './groups.ts';
import { viewerKey } from './keys.ts';
import type { SubscriptionMetrics } from './metrics.ts';
import type { SubscriptionPlan } from './plan.ts';
import type { LoadedSupergraph } from '../supergraph.ts';
import { retryDelay, upstreamPayload, type Upstreams } from './upstream-request.ts';
import type { ViewerScope } from './viewer-scope.ts';

export type { ClientEvent, Deliver, SubscribeRequest } from './groups.ts';

/**
 * A sampled trace (its caller asked for it) is shown to the subscribers too, as
 * `extensions.traceparent`: the client sees on the event the trace id its write started.
 */
function withTrace<T extends { extensions?: Record<string, unknown> }>(event: T, traceparent: unknown): T {
  if (typeof traceparent !== 'string' || !/-01$/.test(traceparent)) return event;
  return { ...event, extensions: { ...event.extensions, [TRACEPARENT_EXTENSION]: traceparent } };
}

const INTERNAL_ERROR: GraphQLFormattedError = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };

/**
 * Federated subscriptions. Identical client subscriptions share one group with one upstream
 * subscription on the owning subgraph (groups.ts); every event is completed once through the rest
 * of the query plan (completion.ts) and fanned out to the group's members.
 *
 * Which subscriptions are identical: same document and variables, and the same viewer, unless every
 * selected field is declared viewer-independent (see viewer-scope.ts). Then viewers share a group,
 * but each is authorized on its own first (authorization.ts). This module ties them together
 * through each group's upstream subscription: resumed from the last delivered cursor when its
 * socket dies, every member authorized again when it is refused.
 */
export function createSubscriptionEngine(options: {
  loaded: LoadedSupergraph;
  plan: (document: DocumentNode, operationName: string | null | undefined) => SubscriptionPlan;
  pool: Upstreams;
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
  /** Complete events with Apollo's executeQueryPlan instead of the compiled executor (GATEWAY_EXECUTOR=apollo). */
  apolloExecutor?: boolean;
}) {
  const { pool, logger, metrics } = options;
  const groups = createGroups({ metrics, open: subscribeUpstream });
  const authorization = createAuthorization({ pool, identitySecret: options.identitySecret, logger, metrics, join: groups.join });
  const complete = createCompletion(options);

  function subscribeUpstream(group: Group) {
    const { primary } = group.plan;
    // After a failure the upstream is re-established for a current member: the first may have left.
    group.representative = group.members.values().next().value ?? group.representative;
    const payload = upstreamPayload(group.plan, group.representative, group.lastCursor, false, options.identitySecret);
    group.unsubscribe = pool.subscribe(primary.serviceName, payload, {
      next: (result) => {
        group.attempts = 0;
        metrics.events.inc({ subgraph: primary.serviceName });
        if (!advanceCursor(group, result.extensions?.[CURSOR_EXTENSION])) return;
        const traceparent = result.extensions?.[TRACEPARENT_EXTENSION];
        const publishedAt = result.extensions?.[PUBLISHED_AT_EXTENSION];
        const deliver = () =>
          complete(group, result).then(
            (event) => {
              groups.broadcast(group, withTrace(event, traceparent));
              if (typeof publishedAt === 'number') metrics.deliveryLag.observe({ subgraph: primary.serviceName }, Math.max(0, Date.now() - publishedAt) / 1000);
            },
            (err) => {
              logger.error({ err, key: group.key }, 'completing a subscription event failed');
              groups.broadcast(group, { data: null, errors: [INTERNAL_ERROR] });
            },
          );
        // The delivery continues the trace of the write that caused the event, when it has one.
        group.chain = group.chain.then(() =>
          typeof traceparent === 'string' ? inSpan(`gateway deliver ${primary.serviceName}`, traceparent, SpanKind.CONSUMER, deliver) : deliver(),
        );
      },
      refused: (errors) => {
        void group.chain.then(() => {
          if (!group.shared) {
            groups.broadcast(group, { errors: errors as GraphQLFormattedError[] });
            return groups.close(group);
          }
          const members = [...group.members];
          groups.close(group, false);
          authorization.reauthorize(members, group.plan, group.lastCursor);
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
      complete: () => void group.chain.then(() => groups.close(group)),
    }, group.completionKey);
  }

  return {
    /**
     * Starts a client subscription whose events `deliver` writes; the returned iterator yields
     * nothing and ends when the subscription does (graphql-ws then sends `complete`), and its
     * `return()` (the client's `complete`, or its socket closing) leaves the group.
     */
    subscribe(request: SubscribeRequest, deliver: Deliver): AsyncIterableIterator<never> {
      const plan = options.plan(request.document, request.operationName);
      const member: Member = {
        deliver,
        done: createAsyncQueue<never>(() => {
          metrics.clientSubscriptions.dec();
          groups.leave(member);
        }),
      };
      metrics.clientSubscriptions.inc();
      if (plan.viewerIndependent) authorization.authorizeThenJoin(member, request, plan, null);
      else groups.join(member, request, plan, viewerKey(request.viewer), null);
      return member.done;
    },
    stats: groups.stats,
    closeAll: groups.closeAll,
  };
}
