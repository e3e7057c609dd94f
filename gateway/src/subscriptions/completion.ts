import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { Logger } from '@finder/platform/config';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { compileOperation, runCompiled, type CompiledOperation } from '../executor/executor.ts';
import { createEntityBatcher } from './entity-batcher.ts';
import type { ClientEvent, Group } from './groups.ts';
import type { SubscriptionMetrics } from './metrics.ts';
import { EVENT_SOURCE, type SubscriptionPlan } from './plan.ts';
import { createSharedCompletions } from './shared-completions.ts';
import type { LoadedSupergraph } from '../supergraph.ts';
import type { ViewerScope } from './viewer-scope.ts';

/** What completing an event needs of its group. */
export type Completing = Pick<Group, 'plan' | 'completionKey' | 'representative'>;

/**
 * Runs the rest of a subscription's plan for each upstream event: the event answers the primary
 * fetch, entity fetches to other subgraphs add their fields (batched across groups,
 * entity-batcher.ts), and a completion that cannot depend on the viewer is shared between the
 * groups receiving the same event (shared-completions.ts).
 */
export function createCompletion(options: {
  loaded: LoadedSupergraph;
  services: Record<string, GraphQLDataSource>;
  scope: ViewerScope;
  logger: Logger;
  metrics: SubscriptionMetrics;
  formatError: (error: GraphQLError) => GraphQLFormattedError;
  /** How long entity fetches of different groups wait to be batched (0: the current event-loop turn). */
  entityBatchWindowMs: number;
  /** How long a completed event stays available to other groups receiving the same event. */
  completionShareMs: number;
  /** Every event on Apollo's executeQueryPlan (GATEWAY_EXECUTOR=apollo). */
  apolloExecutor?: boolean;
}) {
  const { loaded, logger, metrics } = options;
  const batched = createEntityBatcher({ independent: options.scope.entityFetch, windowMs: options.entityBatchWindowMs });
  const services = Object.fromEntries(Object.entries(options.services).map(([name, source]) => [name, batched(source)]));
  const completions = createSharedCompletions<ClientEvent>({ retentionMs: options.completionShareMs, maxEntries: 10_000 });

  /**
   * Completes an event once for every group whose result cannot differ: same operation and
   * variables, the same event data, and nothing in the rest of the plan that depends on the viewer.
   */
  function complete(group: Completing, event: ClientEvent): Promise<ClientEvent> {
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

  /** Each plan compiled once, as the HTTP path's operations are (null: Apollo's executor runs it). */
  const compiled = new WeakMap<SubscriptionPlan, CompiledOperation | null>();
  function compiledFor(plan: SubscriptionPlan): CompiledOperation | null {
    if (options.apolloExecutor) return null;
    let found = compiled.get(plan);
    if (found === undefined) {
      try {
        const node = plan.executable.node;
        found = node?.kind === 'Subscription' ? null : compileOperation(loaded, node, plan.operationContext);
      } catch (err) {
        logger.debug({ err }, "subscription completes on Apollo's executor");
        found = null;
      }
      compiled.set(plan, found);
    }
    return found;
  }

  async function execute(group: Completing, event: ClientEvent): Promise<ClientEvent> {
    // The executor merges entity fetches into the event's data, which a merged upstream frame
    // shares between subscriptions: each execution works on its own copy.
    const data = structuredClone(event.data) as Record<string, unknown>;
    const source: GraphQLDataSource = {
      process: async () => ({ data, errors: event.errors as never }),
    };
    const { representative } = group;
    const requestContext = {
      request: { variables: representative.variables },
      context: { viewer: representative.viewer, requestId: representative.requestId },
      logger,
      metrics: {},
      cache: undefined,
    };
    const withEvent = { ...services, [EVENT_SOURCE]: source };
    const plan = compiledFor(group.plan);
    const result = plan
      ? await runCompiled(plan, { services: withEvent, variables: representative.variables, requestContext, errors: [] })
      : await executeQueryPlan(
          group.plan.executable,
          withEvent as ServiceMap,
          requestContext as never,
          group.plan.operationContext,
          loaded.supergraphGraphQLSchema,
          loaded.apiSchema,
        );
    return {
      data: (result.data ?? null) as Record<string, unknown> | null,
      ...(result.errors?.length ? { errors: result.errors.map((e) => options.formatError(e as GraphQLError)) } : {}),
    };
  }

  return complete;
}
