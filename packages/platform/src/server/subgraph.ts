import type { IncomingMessage } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { DocumentNode } from 'graphql';
import type { Registry } from 'prom-client';
import { IDENTITY_HEADER, verifyIdentity, type Viewer } from '../auth/identity.ts';
import { createErrorFormatter, ErrorCode, toFormattedError } from '../config/errors.ts';
import { createCompiledExecution } from './compiled-execution.ts';
import { graphqlRoute, HttpError } from './graphql-http.ts';
import { attachSubgraphSubscriptions } from '../realtime/subgraph-ws.ts';
import { createHttpServer, type HttpServer, type ReadinessProbe, type RouteHandler } from './http.ts';
import { requestIdFrom, type Logger } from '../config/logger.ts';
import { tuneGarbageCollection } from './gc-tuning.ts';

export interface SubgraphServerOptions<TContext extends BaseContext> {
  typeDefs: DocumentNode;
  resolvers: unknown;
  /** The subgraph's name in the supergraph: identity signatures must be made for it (their audience). */
  name: string;
  subgraphIdentitySecret: string;
  logger: Logger;
  registry: Registry;
  readiness: ReadinessProbe;
  maxBodyBytes: number;
  production: boolean;
  /** Builds the per-operation context; `req` is absent for operations over WebSocket. */
  context(viewer: Viewer | null, requestId: string, req: IncomingMessage | undefined): Promise<TContext> | TContext;
  routes?: RouteHandler[];
  /** Queries and mutations on compiled code where it answers as Apollo Server would (compiled-execution.ts); on by default. */
  compiledExecution?: boolean;
}

export interface SubgraphServer {
  http: HttpServer;
  apollo: ApolloServer<BaseContext>;
  start(port: number, host: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A subgraph over HTTP that only answers requests carrying the gateway's identity signature:
 * calling a subgraph directly grants nothing.
 */
export async function createSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<SubgraphServer> {
  tuneGarbageCollection();
  const { logger } = options;
  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }]);
  const formatError = createErrorFormatter(logger, { maskInternal: options.production });
  const apollo = new ApolloServer<TContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: !options.production,
    introspection: true,
    // No schema declares cache hints and the gateway reads none, so the per-field hook of Apollo's
    // cache-control plugin (1.8% of the chat server's CPU at 400 messages/s) is left out.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled()],
  });
  await apollo.start();

  // The identity a request was admitted with, read by its context (never built without one).
  const admitted = new WeakMap<IncomingMessage, Viewer | null>();
  const context = async (req: IncomingMessage) => {
    if (!admitted.has(req)) throw new Error('request was not admitted');
    return options.context(admitted.get(req) ?? null, requestIdFrom(req.headers), req);
  };
  const compiled = options.compiledExecution === false
    ? null
    : createCompiledExecution({ schema, context, registry: options.registry });
  const graphql = graphqlRoute(apollo, {
    serviceName: options.name,
    maxBodyBytes: options.maxBodyBytes,
    // The signature covers this subgraph, the method and the body's exact bytes (identity.ts).
    admit: (req, raw) => {
      const scope = { audience: options.name, method: req.method ?? 'GET', body: raw };
      const identity = verifyIdentity(header(req, IDENTITY_HEADER), options.subgraphIdentitySecret, scope);
      if (identity.ok) {
        admitted.set(req, identity.viewer);
        return null;
      }
      logger.warn({ reason: identity.reason, requestId: requestIdFrom(req.headers) }, 'request refused: identity signature');
      return new HttpError(401, ErrorCode.UNAUTHENTICATED, `Subgraphs only answer the gateway: ${identity.reason}`);
    },
    context,
    ...(compiled ? { execute: compiled.execute } : {}),
  });

  const http = createHttpServer({
    logger,
    registry: options.registry,
    readiness: options.readiness,
    routes: [graphql, ...(options.routes ?? [])],
  });
  const subscriptions = schema.getSubscriptionType()
    ? attachSubgraphSubscriptions({
        server: http.server,
        schema,
        name: options.name,
        subgraphIdentitySecret: options.subgraphIdentitySecret,
        logger,
        formatError: (error) => formatError(toFormattedError(error), error),
        context: (viewer, requestId) => options.context(viewer, requestId, undefined),
      })
    : null;
  return {
    http,
    apollo: apollo as unknown as ApolloServer<BaseContext>,
    start: (port, host) => http.listen(port, host),
    async stop() {
      http.drain();
      await subscriptions?.close();
      await http.close();
      await apollo.stop();
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
