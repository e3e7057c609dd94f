/**
 * The names and codes of graphql-ws (graphql-transport-ws) as the gateway and the subgraphs use
 * it: the extension between the gateway and subgraphs (one upstream socket serves many callers),
 * and the close codes clients and the gateway act on. The gateway and subgraph-ws.ts import these,
 * so the two ends cannot drift apart.
 */

/** `connection_init` payload: the gateway's signature (`signIdentity(null, secret)`); only the gateway may connect. */
export const GATEWAY_PARAM = 'gateway';

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
