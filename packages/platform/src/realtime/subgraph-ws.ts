import type { Server } from 'node:http';
import {
  GraphQLError,
  createSourceEventStream,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { createAsyncQueue } from './async-queue.ts';
import { verifyIdentity, type Viewer } from '../auth/identity.ts';
import { coalesceSends } from './coalesced-sends.ts';
import { createDocumentCache } from './document-cache.ts';
import { ErrorCode } from '../config/errors.ts';
import { requestIdFrom, type Logger } from '../config/logger.ts';
import { mergeEqualNexts, nextMessagePrefix } from './merged-nexts.ts';
import { publishedAtOf } from './published-at.ts';
import {
  AUTHORIZE_ONLY_EXTENSION,
  AUTHORIZED_EXTENSION,
  connectScope,
  CURSOR_EXTENSION,
  GATEWAY_PARAM,
  IDENTITY_EXTENSION,
  MERGED_NEXT_PARAM,
  PUBLISHED_AT_EXTENSION,
  REQUEST_ID_EXTENSION,
  subscribeScope,
  TRACEPARENT_EXTENSION,
  WsClose,
} from './protocol.ts';

/** What a subgraph resolver may set on its context so the gateway can resume after a reconnect. */
export interface CursorContext {
  /** The cursor (e.g. `seq`) of the event being delivered; sent as `extensions.cursor`. */
  cursor?: number;
  /** The trace of the write behind the event being delivered; sent as `extensions.traceparent`. */
  traceparent?: string | undefined;
}

export interface SubgraphSubscriptionOptions {
  server: Server;
  schema: GraphQLSchema;
  /** The subgraph's name in the supergraph: the audience identity signatures must be made for. */
  name: string;
  subgraphIdentitySecret: string;
  logger: Logger;
  formatError(error: GraphQLError): GraphQLFormattedError;
  context(viewer: Viewer | null, requestId: string): Promise<object> | object;
  keepAliveMs?: number;
  maxPayloadBytes?: number;
}

/**
 * graphql-ws on the subgraph's own port and path. Only the gateway may connect (its signature in
 * connection_init); each subscribe message carries its caller's signed identity in `extensions`,
 * because one upstream socket serves many callers. Authorization happens at subscribe time; a
 * subscribe that asks only for it (`authorizeOnly`) is answered without streaming (protocol.ts).
 * Equal results of one turn for several subscriptions leave as one frame if the gateway reads
 * merged frames (merged-nexts.ts).
 */
export function attachSubgraphSubscriptions(options: SubgraphSubscriptionOptions): { close(): Promise<void> } {
  const { logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 1024 * 1024 });
  options.server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://local').pathname !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      coalesceSends(ws, socket);
      wss.emit('connection', ws, req);
    });
  });

  const authorizeOnly = new WeakSet<object>();
  /** Where each subscription's events go, by its context value (one per subscribe message). */
  const targets = new WeakMap<object, { id: string; socket: WebSocket }>();
  const documents = createDocumentCache(options.schema);
  const format = (result: ExecutionResult, contextValue: unknown, publishedAt?: number) => {
    const { cursor, traceparent } = (contextValue as CursorContext | undefined) ?? {};
    const formatted = { ...result, ...(result.errors ? { errors: result.errors.map((e) => options.formatError(e)) } : {}) };
    if (cursor === undefined && publishedAt === undefined) return formatted;
    return {
      ...formatted,
      extensions: {
        ...result.extensions,
        ...(cursor === undefined ? {} : { [CURSOR_EXTENSION]: cursor }),
        ...(traceparent ? { [TRACEPARENT_EXTENSION]: traceparent } : {}),
        ...(publishedAt === undefined ? {} : { [PUBLISHED_AT_EXTENSION]: publishedAt }),
      },
    };
  };
  const disposable = useServer(
    {
      schema: options.schema,
      subscribe: async (args) => {
        const stream = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in stream)) return { ...stream, errors: stream.errors?.map(asRequestError) };
        const source = stream as AsyncIterableIterator<unknown>;
        if (authorizeOnly.has(args.contextValue as object)) {
          await source.return?.();
          return { extensions: { [AUTHORIZED_EXTENSION]: true } };
        }
        const { id, socket } = targets.get(args.contextValue as object)!;
        const prefix = nextMessagePrefix(id);
        return streamEvents(
          source,
          args,
          (result, publishedAt) => {
            if (socket.readyState === socket.OPEN) socket.send(`${prefix}${JSON.stringify(format(result, args.contextValue, publishedAt))}}`);
          },
          () => writable(socket),
        );
      },
      onConnect: (ctx) => {
        const identity = verifyIdentity(
          String(ctx.connectionParams?.[GATEWAY_PARAM] ?? ''),
          options.subgraphIdentitySecret,
          connectScope(options.name, ctx.connectionParams),
        );
        if (!identity.ok) {
          logger.warn({ reason: identity.reason }, 'subscription connection refused: not the gateway');
          return false;
        }
        if (ctx.connectionParams?.[MERGED_NEXT_PARAM] === true) mergeEqualNexts(ctx.extra.socket);
        return true;
      },
      onSubscribe: async (ctx, id, payload): Promise<ExecutionArgs | GraphQLError[]> => {
        const identity = verifyIdentity(
          String(payload.extensions?.[IDENTITY_EXTENSION] ?? ''),
          options.subgraphIdentitySecret,
          subscribeScope(options.name, payload),
        );
        if (!identity.ok) {
          return [new GraphQLError(`Subgraphs only answer the gateway: ${identity.reason}`, { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
        }
        const parsed = documents(payload.query);
        if ('errors' in parsed) return parsed.errors;
        const { document } = parsed;
        const requestId = typeof payload.extensions?.[REQUEST_ID_EXTENSION] === 'string' ? payload.extensions[REQUEST_ID_EXTENSION] : requestIdFrom(ctx.extra.request.headers);
        const contextValue = await options.context(identity.viewer, requestId);
        if (payload.extensions?.[AUTHORIZE_ONLY_EXTENSION] === true) authorizeOnly.add(contextValue);
        targets.set(contextValue, { id, socket: ctx.extra.socket });
        return {
          schema: options.schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue,
        };
      },
      // Single results only (an authorization's answer); stream events are written by streamEvents.
      onNext: (_ctx, _id, _payload, args, result) => format(result, args.contextValue),
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => options.formatError(e)),
    },
    wss,
    options.keepAliveMs ?? 12_000,
  );

  return {
    async close() {
      for (const client of wss.clients) client.close(WsClose.SERVICE_RESTART, 'Service restart');
      await disposable.dispose();
    },
  };
}

/** Unsent bytes on a socket to the gateway above which its streams stop taking events. */
export const SOCKET_HIGH_WATER_BYTES = 1024 * 1024;

/**
 * Resolves once the socket's unsent bytes are under SOCKET_HIGH_WATER_BYTES (or it closed). `ws`
 * has no drain event of its own, so this polls `bufferedAmount`, which is cheap, only while full.
 */
async function writable(socket: WebSocket): Promise<void> {
  while (socket.readyState === socket.OPEN && socket.bufferedAmount > SOCKET_HIGH_WATER_BYTES) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Executes each event of a subscription's source stream and hands the result to `send`, which
 * writes it to the gateway's socket as graphql-ws would write the `next` message. graphql-js's
 * `subscribe` and graphql-ws's iteration would add a chain of promises per event and subscription
 * (mapped iterator, for-await, hooks, a promise per write), rebuilt for every event and kept alive
 * until the next one: with thousands of per-viewer subscriptions that is most of what the
 * collector copies. graphql-ws keeps the subscription's life: the returned iterator yields nothing,
 * ends (then graphql-ws sends `complete`) when the source does, and its `return()` (the gateway's
 * `complete`, or the socket closing) ends the source.
 */
function streamEvents(
  source: AsyncIterableIterator<unknown>,
  args: ExecutionArgs,
  send: (result: ExecutionResult, publishedAt: number | undefined) => void,
  writable: () => Promise<void>,
): AsyncIterableIterator<never> {
  const done = createAsyncQueue<never>(() => void source.return?.());
  void (async () => {
    try {
      for (;;) {
        // Take the next event only once the socket has room: a source that can wait (a replay
        // from storage, gapless.ts) then reads no faster than the gateway takes the frames.
        await writable();
        const event = await source.next();
        if (event.done || done.closed) break;
        const result = execute({ ...args, rootValue: event.value });
        send('then' in result ? await result : result, publishedAtOf(event.value));
      }
      done.end();
    } catch (err) {
      done.fail(err);
    }
  })();
  return done;
}

/**
 * Errors found before any resolver ran (variables that do not coerce, an operation not in the
 * document) have neither a path nor a code: the request's fault, said as BAD_USER_INPUT rather
 * than logged and masked as internal ones.
 */
function asRequestError(error: GraphQLError): GraphQLError {
  if (error.path || error.extensions.code) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code: ErrorCode.BAD_USER_INPUT } });
}
