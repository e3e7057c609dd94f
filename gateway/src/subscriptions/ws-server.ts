import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { bearerToken, type RevocationList, type TokenVerifier, type Viewer } from '@finder/platform/auth';
import { createDocumentCache, nextMessagePrefix, WsClose } from '@finder/platform/realtime';
import { ErrorCode, type Logger, requestIdFrom } from '@finder/platform/config';
import { GraphQLError, getOperationAST, getVariableValues, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ClientAddress } from '../client-address.ts';
import type { Budgets } from '../limits/budgets.ts';
import { isTokenLimitError, operationLimit, type OperationLimits } from '../limits/operation-limits.ts';
import type { TrustedDocuments } from '../trusted-documents.ts';
import type { SubscriptionMetrics } from './metrics.ts';
import { NotASubscriptionError } from './plan.ts';
import type { Deliver, SubscribeRequest } from './engine.ts';

export interface WsLimits {
  connectionInitTimeoutMs: number;
  maxSubscriptionsPerConnection: number;
  maxMessageBytes: number;
  keepAliveMs: number;
  maxConnections: number;
  /** New connections per second allowed from one client address (burst: twice as many). */
  connectRatePerAddress: number;
  /** Open sockets from one client address on this gateway (further upgrades: 429). */
  maxConnectionsPerAddress: number;
  /** Open signed-in sockets of one user on this gateway (further ones: closed 1013 after connection_init). */
  maxConnectionsPerUser: number;
  /** Unsent event bytes held for one client connection before it is closed as too slow. */
  maxBufferedBytes: number;
}

interface ConnectionState {
  /** Null on an anonymous connection: it is acknowledged, but every subscribe on it is refused. */
  viewer: Viewer | null;
  requestId: string;
  address: string;
  expiryTimer?: NodeJS.Timeout;
}

/** What `onSubscribe` hands to `subscribe` (as the context value) for one client subscription. */
interface SubscriptionTarget {
  viewer: Viewer;
  requestId: string;
  id: string;
  socket: WebSocket;
}

/**
 * graphql-ws for clients on the gateway's own port and path. Authenticates in connection_init,
 * enforces the limits, validates every operation against the API schema and hands subscriptions
 * to the federated engine.
 */
export function attachClientSubscriptions(options: {
  server: Server;
  apiSchema: GraphQLSchema;
  verifier: TokenVerifier;
  /** Ended logins: their sockets are closed (4401) as soon as the gateway learns of it. */
  revocations?: Pick<RevocationList, 'isRevoked' | 'onRevoked'> | null;
  /** Depth, aliases, root fields, directives, tokens and cost: the same limits as over HTTP. */
  operationLimits: OperationLimits;
  /** The cost budget is charged for every subscribe, as for every HTTP operation. */
  budgets: Budgets;
  clientAddress: ClientAddress;
  /** When set, a subscribe names a document of the manifest by hash; its text is the manifest's. */
  trustedDocuments?: TrustedDocuments | null;
  limits: WsLimits;
  logger: Logger;
  metrics: SubscriptionMetrics;
  /** Starts a subscription whose events `deliver` writes (engine.ts); the iterator only ends. */
  subscribe(request: SubscribeRequest, deliver: Deliver): AsyncIterableIterator<never>;
  formatError(error: GraphQLError): GraphQLFormattedError;
}) {
  const { limits, logger, metrics } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  const state = new WeakMap<object, ConnectionState>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  // Open sockets per address and per user on this gateway: counts of live sockets, which a
  // crashed gateway would leave behind in a shared store, so each gateway keeps its own.
  const perAddress = new Map<string, number>();
  const perUser = new Map<string, number>();
  // Signed-in sockets by login (the token's `sid`), to close them when the login ends.
  const byLogin = new Map<string, Set<WebSocket>>();
  options.revocations?.onRevoked((logins) => {
    for (const login of logins) {
      for (const socket of byLogin.get(login) ?? []) socket.close(WsClose.UNAUTHORIZED, REVOKED_REASON);
    }
  });
  const count = (map: Map<string, number>, key: string, delta: number) => {
    const n = (map.get(key) ?? 0) + delta;
    if (n > 0) map.set(key, n);
    else map.delete(key);
  };
  const documents = createDocumentCache(options.apiSchema, { maxTokens: options.operationLimits.settings.maxTokens });

  const refuse = (socket: Duplex, status: string, reason: string, message = reason) => {
    metrics.refusedConnections.inc({ reason });
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nRetry-After: 1\r\n\r\n${message}\n`);
  };

  function allow(address: string): boolean {
    const now = Date.now();
    const bucket = buckets.get(address) ?? { tokens: limits.connectRatePerAddress * 2, at: now };
    bucket.tokens = Math.min(limits.connectRatePerAddress * 2, bucket.tokens + ((now - bucket.at) / 1000) * limits.connectRatePerAddress);
    bucket.at = now;
    buckets.set(address, bucket);
    if (buckets.size > 50_000) buckets.clear();
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://local').pathname !== '/graphql') return refuse(socket, '404 Not Found', 'not-found');
    if (wss.clients.size >= limits.maxConnections) return refuse(socket, '503 Service Unavailable', 'capacity');
    const address = options.clientAddress(req);
    if (!allow(address)) return refuse(socket, '429 Too Many Requests', 'rate');
    if ((perAddress.get(address) ?? 0) >= limits.maxConnectionsPerAddress) {
      return refuse(socket, '429 Too Many Requests', 'address', `Too many connections from this address (limit ${limits.maxConnectionsPerAddress})`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // The upgrade completes synchronously here, so the count cannot be overtaken by another.
      count(perAddress, address, 1);
      ws.once('close', () => count(perAddress, address, -1));
      wss.emit('connection', ws, req);
    });
  };
  options.server.on('upgrade', onUpgrade);
  wss.on('connection', (ws: WebSocket) => {
    metrics.connections.inc();
    ws.once('close', () => metrics.connections.dec());
    // Registered before graphql-ws's own listener, so it sees each message first.
    ws.on('message', (data) => refuseServerMessage(ws, data));
  });

  const disposable = useServer(
    {
      schema: options.apiSchema,
      connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const raw = authorizationFrom(ctx.connectionParams);
        const requestId = requestIdFrom(ctx.extra.request.headers);
        const address = options.clientAddress(ctx.extra.request);
        const close = (reason: string) => {
          ctx.extra.socket.close(WsClose.UNAUTHORIZED, reason);
          return false;
        };
        // No token at all: an anonymous connection. Apollo Sandbox and Studio open one before the
        // connection that carries their connection settings, and close both when it is refused.
        if (raw === undefined) {
          state.set(ctx, { viewer: null, requestId, address });
          return true;
        }
        let viewer: Viewer;
        try {
          const token = bearerToken(raw);
          if (!token) return close('Unauthorized: empty access token');
          viewer = await options.verifier.verify(token);
        } catch (err) {
          const reason = (err as GraphQLError).extensions?.reason;
          return close(reason === 'TOKEN_EXPIRED' ? 'Unauthorized: access token expired' : reason === 'TOKEN_REVOKED' ? REVOKED_REASON : 'Unauthorized: access token invalid');
        }
        if ((perUser.get(viewer.id) ?? 0) >= limits.maxConnectionsPerUser) {
          metrics.refusedConnections.inc({ reason: 'user' });
          ctx.extra.socket.close(WsClose.TRY_AGAIN_LATER, `Too many connections for this user (limit ${limits.maxConnectionsPerUser})`);
          return false;
        }
        count(perUser, viewer.id, 1);
        ctx.extra.socket.once('close', () => count(perUser, viewer.id, -1));
        const socket = ctx.extra.socket;
        const login = byLogin.get(viewer.sessionId) ?? new Set();
        byLogin.set(viewer.sessionId, login.add(socket));
        socket.once('close', () => {
          login.delete(socket);
          if (login.size === 0 && byLogin.get(viewer.sessionId) === login) byLogin.delete(viewer.sessionId);
        });
        // Revoked while the token was being verified: the announcement found no socket to close.
        if (options.revocations?.isRevoked(viewer.sessionId)) return close(REVOKED_REASON);
        const connection: ConnectionState = { viewer, requestId, address };
        if (viewer.expiresAt) {
          // A connection lives no longer than its token; the client reconnects with a fresh one.
          connection.expiryTimer = setTimeout(() => ctx.extra.socket.close(WsClose.UNAUTHORIZED, 'Unauthorized: access token expired'), Math.max(0, viewer.expiresAt - Date.now()));
          connection.expiryTimer.unref();
        }
        state.set(ctx, connection);
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const connection = state.get(ctx);
        if (!connection) return [new GraphQLError('Unauthorized', { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
        // Every subscription of the API follows something of the viewer's own.
        if (!connection.viewer) return [new GraphQLError(SIGN_IN_MESSAGE, { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
        // graphql-ws's own registry, which includes this one and drops completed ones at once.
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(`Too many subscriptions on one connection (limit ${limits.maxSubscriptionsPerConnection})`, {
              extensions: { code: ErrorCode.RATE_LIMITED },
            }),
          ];
        }
        let query = payload.query;
        if (options.trustedDocuments) {
          // graphql-ws requires a string `query`: a subscribe by hash alone sends "".
          const resolved = options.trustedDocuments.resolve(payload as typeof payload & { documentId?: unknown });
          if ('refusal' in resolved) return [new GraphQLError(resolved.refusal.message, { extensions: { code: resolved.refusal.code } })];
          query = resolved.query;
        }
        const parsed = documents(query);
        if ('errors' in parsed) return parsed.errors.map((e) => (isTokenLimitError(e) ? operationLimit(e.message) : e));
        const { document } = parsed;
        const { refusal, estimate } = options.operationLimits.measure(document, payload.operationName, payload.variables ?? undefined);
        if (refusal) return [refusal];
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Operation not found; send operationName', { extensions: { code: 'BAD_REQUEST' } })];
        if (operation.operation !== 'subscription') {
          return [new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_REQUEST' } })];
        }
        // graphql-ws skips its own checks when given execution arguments, and the engine forwards the
        // variables as sent (as the HTTP path does): coerce them here, or a subgraph meets them first.
        const coerced = getVariableValues(options.apiSchema, operation.variableDefinitions ?? [], payload.variables ?? {});
        if (coerced.errors) return coerced.errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: ErrorCode.BAD_USER_INPUT } }));
        try {
          await options.budgets.charge(connection, document, payload.operationName, payload.variables ?? undefined, estimate);
        } catch (err) {
          if (err instanceof GraphQLError) return [err];
          throw err;
        }
        return {
          schema: options.apiSchema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? {},
          contextValue: { viewer: connection.viewer, requestId: connection.requestId, id, socket: ctx.extra.socket } satisfies SubscriptionTarget,
        };
      },
      subscribe: (args) => {
        const { viewer, requestId, id, socket } = args.contextValue as SubscriptionTarget;
        try {
          return options.subscribe(
            {
              document: args.document,
              operationName: args.operationName,
              variables: (args.variableValues ?? {}) as Record<string, unknown>,
              viewer,
              requestId,
            },
            directDelivery(socket, id, limits.maxBufferedBytes, metrics),
          ) as never;
        } catch (err) {
          if (err instanceof NotASubscriptionError) return { errors: [new GraphQLError(err.message, { extensions: { code: 'BAD_REQUEST' } })] };
          if (err instanceof GraphQLError) return { errors: [err] };
          logger.error({ err }, 'subscribe failed');
          return { errors: [new GraphQLError('Internal server error', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] };
        }
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => options.formatError(e)),
      onClose: (ctx) => {
        clearTimeout(state.get(ctx)?.expiryTimer);
      },
    },
    wss,
    limits.keepAliveMs,
  );

  return {
    /** Tells every client to reconnect elsewhere (1012), then stops serving. */
    async close() {
      options.server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(WsClose.SERVICE_RESTART, 'Service restart');
      await disposable.dispose();
    },
    connections: () => wss.clients.size,
  };
}

/**
 * Events are written to the client's socket as they are delivered, as graphql-ws would write a
 * `next` message, instead of through graphql-ws's per-subscription async iteration: no promise
 * chain per event and subscription, and the payload's text is made once per event (engine.ts).
 * graphql-ws still owns the subscription's life: its `complete` follows the last event, as the
 * engine ends a subscription only after writing what it delivered. A client that stops reading
 * does not make the gateway buffer without end: past `maxBufferedBytes` unsent, its connection
 * closes (1008) and it can reconnect and resume.
 */
export function directDelivery(socket: WebSocket, id: string, maxBufferedBytes: number, metrics: Pick<SubscriptionMetrics, 'slowClients'>): Deliver {
  const prefix = nextMessagePrefix(id);
  return (payloadJson) => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > maxBufferedBytes) {
      metrics.slowClients.inc();
      socket.close(WsClose.TOO_SLOW, `Client too slow: over ${maxBufferedBytes} bytes of events unread`);
      return;
    }
    socket.send(`${prefix}${payloadJson}}`);
  };
}

const REVOKED_REASON = 'Unauthorized: access token revoked';

const SIGN_IN_MESSAGE =
  'Subscriptions need a signed-in viewer: send connection_init { "authorization": "Bearer <access token>" } (from login, register or refreshSession)';

type ConnectionParams = Record<string, unknown> | null | undefined;

/**
 * The `Bearer …` value of connection_init, wherever clients put it: `authorization` (graphql-ws
 * clients, our SDK), `Authorization`, `headers.authorization` / `headers.Authorization` (clients
 * that copy their HTTP headers into the payload), or a bare `accessToken`. Undefined when the
 * payload carries none, or only empty ones (as an empty HTTP Authorization header is anonymous); a
 * value that is not a string is returned as text, to be refused as an invalid token.
 */
export function authorizationFrom(params: ConnectionParams): string | undefined {
  if (!params) return undefined;
  const headers = typeof params.headers === 'object' && params.headers !== null ? (params.headers as Record<string, unknown>) : {};
  const value = [params.authorization, params.Authorization, headers.authorization, headers.Authorization].find((v) => v !== undefined && v !== null && v !== '');
  if (value !== undefined) return String(value);
  if (params.accessToken !== undefined && params.accessToken !== null && params.accessToken !== '') return `Bearer ${String(params.accessToken)}`;
  return undefined;
}

export { CloseCode };

/** The message types a graphql-transport-ws client may send. */
const CLIENT_MESSAGE_TYPES = new Set(['connection_init', 'ping', 'pong', 'subscribe', 'complete']);
/** Client-chosen subscription ids (graphql-ws clients use UUIDs, 36 characters). */
const MAX_MESSAGE_ID_LENGTH = 64;

/**
 * graphql-ws treats a client's message of a server-side type (`next`, `error`,
 * `connection_ack`) as its own failure and closes with 4500 Internal Server Error; it is the
 * client breaking the protocol, closed here first with 4400 as graphql-ws does for malformed
 * messages (its close on the closing socket is then a no-op).
 */
function refuseServerMessage(ws: WebSocket, data: RawData): void {
  let message: { type?: unknown; id?: unknown } | null;
  try {
    message = JSON.parse(String(data)) as { type?: unknown; id?: unknown } | null;
  } catch {
    return; // graphql-ws answers unparsable messages with 4400 itself
  }
  const type = message?.type;
  if (typeof type === 'string' && !CLIENT_MESSAGE_TYPES.has(type)) {
    ws.close(WsClose.BAD_REQUEST, `Unexpected message of type ${type.slice(0, 40)} from a client`);
  } else if (typeof message?.id === 'string' && message.id.length > MAX_MESSAGE_ID_LENGTH) {
    // graphql-ws names the id in some close reasons (4409), and a close reason over 123 bytes
    // throws inside it, which it reports as 4500.
    ws.close(WsClose.BAD_REQUEST, `Message id longer than ${MAX_MESSAGE_ID_LENGTH} characters`);
  }
}
