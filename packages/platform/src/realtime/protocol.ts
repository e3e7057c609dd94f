/**
 * The names and codes of graphql-ws (graphql-transport-ws) as the gateway and the subgraphs use
 * it: the extension between the gateway and subgraphs (one upstream socket serves many callers),
 * and the close codes clients and the gateway act on. The gateway and subgraph-ws.ts import these,
 * so the two ends cannot drift apart.
 */

import type { IdentityScope } from '../auth/identity.ts';

/**
 * `connection_init` payload: the gateway's signature (`signIdentity(null, …)`, see connectScope);
 * only the gateway may connect.
 */
export const GATEWAY_PARAM = 'gateway';
/** `connection_init` payload: a random id the gateway draws for each socket, signed with the rest. */
export const CONNECTION_PARAM = 'connection';

/**
 * What the gateway's connection_init signature covers: the subgraph (audience) and the rest of the
 * connection_init payload, which holds a fresh random connection id. graphql-ws messages have no
 * HTTP body to digest, so the payload stands for it. A connection grants nothing by itself: every
 * subscribe is signed again for its caller (subscribeScope), so this signature only has to show
 * that the gateway opened this socket to this subgraph within the identity window.
 */
export function connectScope(audience: string, params: Record<string, unknown> | undefined): IdentityScope {
  const { [GATEWAY_PARAM]: _signature, ...rest } = params ?? {};
  return { audience, method: 'WS-CONNECT', body: JSON.stringify(rest) };
}

/**
 * What a subscribe's signature covers: the subgraph and the operation, operation name and
 * variables (what the subgraph executes), serialized the same way at both ends. JSON keeps key
 * order through a parse, so the subgraph's re-serialization of what it received matches.
 */
export function subscribeScope(
  audience: string,
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
): IdentityScope {
  const body = JSON.stringify({ query: payload.query, operationName: payload.operationName ?? null, variables: payload.variables ?? null });
  return { audience, method: 'WS-SUBSCRIBE', body };
}

/**
 * `connection_init` payload set to true by a gateway that reads merged `next` frames
 * (merged-nexts.ts): a `next` message whose `alsoIds` lists more subscriptions is their next
 * result too.
 */
export const MERGED_NEXT_PARAM = 'mergedNext';
/** The further subscription ids of a merged `next` message (the first is its `id`). */
export const ALSO_IDS = 'alsoIds';

/** Subscribe `extensions`: the caller's signed identity (per subscription, as one socket serves many callers). */
export const IDENTITY_EXTENSION = 'identity';
/** Subscribe `extensions`: the caller's request id, for the subgraph's logs. */
export const REQUEST_ID_EXTENSION = 'requestId';
/**
 * Subscribe `extensions` set to true to ask only whether the caller may subscribe: the subgraph
 * runs the subscription's resolver (authorization happens there), closes its source stream at
 * once and answers one `next` carrying `extensions.authorized: true` (or the resolver's errors),
 * then `complete`. The gateway asks this for every caller that joins a stream shared between viewers.
 */
export const AUTHORIZE_ONLY_EXTENSION = 'authorizeOnly';
/** `next` result `extensions`: true in the answer to an `authorizeOnly` subscribe. */
export const AUTHORIZED_EXTENSION = 'authorized';
/** `next` result `extensions`: the cursor (e.g. `seq`) of the event delivered, to resume after a reconnect. */
export const CURSOR_EXTENSION = 'cursor';
/** `next` result `extensions`: the W3C trace context of the write that caused the event, when known. */
export const TRACEPARENT_EXTENSION = 'traceparent';
/** `next` result `extensions`: when the persister published the event (published-at.ts), on live events only. */
export const PUBLISHED_AT_EXTENSION = 'publishedAt';

/** WebSocket close codes; 44xx follow graphql-ws's own conventions. */
export const WsClose = {
  /** A socket closed on purpose (e.g. graphql-ws's lazy close): nothing to recover. */
  NORMAL: 1000,
  /** Policy violation: the client leaves more events unread than the gateway will hold for it. */
  TOO_SLOW: 1008,
  /** A message over the server's `maxPayload` (sent by the ws library). */
  TOO_BIG: 1009,
  /** The server is going away: reconnect, to another replica or gateway. */
  SERVICE_RESTART: 1012,
  /** Try again later: the user has as many sockets open on this gateway as allowed. */
  TRY_AGAIN_LATER: 1013,
  /** A message that is not one a client may send (sent by graphql-ws, or by the gateway for a server-side type). */
  BAD_REQUEST: 4400,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  /** No `connection_init` in time (sent by graphql-ws). */
  INIT_TIMEOUT: 4408,
} as const;
