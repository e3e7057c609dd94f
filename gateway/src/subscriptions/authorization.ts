import type { Logger } from '@finder/platform/config';
import { AUTHORIZED_EXTENSION } from '@finder/platform/realtime';
import type { GraphQLFormattedError } from 'graphql';
import { ANY_VIEWER, type Member, type SubscribeRequest } from './groups.ts';
import { completionKey, stableJson, viewerKey } from './keys.ts';
import type { SubscriptionMetrics } from './metrics.ts';
import type { SubscriptionPlan } from './plan.ts';
import { retryDelay, upstreamPayload, type Upstreams } from './upstream-request.ts';

/**
 * Per-viewer authorization before joining a group shared between viewers: the owning subgraph runs
 * the subscription's resolver for that viewer's identity (an `authorizeOnly` subscribe, see
 * subgraph-ws.ts) and only a viewer it accepts joins. A refused viewer gets the resolver's errors
 * and its subscription ends.
 */
export function createAuthorization(options: {
  pool: Upstreams;
  identitySecret: string;
  logger: Logger;
  metrics: SubscriptionMetrics;
  /** Adds the member to a group: the one shared by ANY_VIEWER, or one of its own viewer. */
  join: (member: Member, request: SubscribeRequest, plan: SubscriptionPlan, scope: string, resumeAfter: number | null) => void;
}) {
  const { pool, logger, metrics } = options;

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
    const affinity = completionKey(plan, stableJson(request.variables));
    const stop = pool.subscribe(subgraph, upstreamPayload(plan, request, resumeAfter, true, options.identitySecret), {
      next: (result) => {
        if (settled) return;
        if (result.extensions?.[AUTHORIZED_EXTENSION] === true) {
          verdict('authorized');
          options.join(member, request, plan, ANY_VIEWER, resumeAfter);
        } else if (!result.data && result.errors?.length) {
          refuse(result.errors);
        } else {
          // A subgraph that does not know `authorizeOnly` started a real stream: this viewer
          // keeps to its own group, authorized by that group's own upstream subscription.
          verdict('unsupported');
          stop();
          options.join(member, request, plan, viewerKey(request.viewer), resumeAfter);
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
    authorizeThenJoin,
    /**
     * The shared upstream was refused (the representative's access is gone, or the stream itself):
     * every member learns its own verdict again, and those still authorized continue from
     * `resumeAfter`, the group's last delivered cursor.
     */
    reauthorize(members: Iterable<[Member, SubscribeRequest]>, plan: SubscriptionPlan, resumeAfter: number | null) {
      for (const [member, request] of members) authorizeThenJoin(member, request, plan, resumeAfter);
    },
  };
}
