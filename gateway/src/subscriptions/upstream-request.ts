import { signIdentity } from '@finder/platform/auth';
import { AUTHORIZE_ONLY_EXTENSION, IDENTITY_EXTENSION, REQUEST_ID_EXTENSION, subscribeScope } from '@finder/platform/realtime';
import type { SubscribePayload } from 'graphql-ws';
import type { SubscribeRequest } from './groups.ts';
import type { SubscriptionPlan } from './plan.ts';
import type { UpstreamPool } from './upstream.ts';

/** What the engine needs of the upstream pool (upstream.ts); tests give it an in-memory one. */
export type Upstreams = Pick<UpstreamPool, 'subscribe'>;

/** Re-subscribing (or asking again for an authorization) after a lost socket backs off. */
export const retryDelay = (attempts: number) => Math.min(50 * 2 ** attempts, 3_000);

function upstreamVariables(plan: SubscriptionPlan, request: SubscribeRequest, cursor: number | null): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const name of plan.primary.variableUsages ?? []) {
    if (name in request.variables) variables[name] = request.variables[name];
  }
  if (plan.cursor) variables[plan.cursor.variable] = cursor ?? plan.cursor.initial(request.variables);
  return variables;
}

/**
 * The subscribe sent to the owning subgraph for one caller: the primary fetch, resumed after
 * `cursor` (or from the caller's own `after`), with the caller's signed identity. `authorizeOnly`
 * asks the subgraph for its verdict on this caller instead of a stream.
 */
export function upstreamPayload(
  plan: SubscriptionPlan,
  request: SubscribeRequest,
  cursor: number | null,
  authorizeOnly: boolean,
  identitySecret: string,
): SubscribePayload {
  const operation = {
    query: plan.primary.operation,
    operationName: plan.primary.operationName ?? null,
    variables: upstreamVariables(plan, request, cursor),
  };
  return {
    ...operation,
    extensions: {
      // Signed for the owning subgraph and this very operation and variables (protocol.ts).
      [IDENTITY_EXTENSION]: signIdentity(request.viewer, identitySecret, subscribeScope(plan.primary.serviceName, operation)),
      [REQUEST_ID_EXTENSION]: request.requestId,
      ...(authorizeOnly ? { [AUTHORIZE_ONLY_EXTENSION]: true } : {}),
    },
  };
}
