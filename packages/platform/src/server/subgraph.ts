import type { IncomingMessage } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { DocumentNode } from 'graphql';
import type { Registry } from 'prom-client';
import { IDENTITY_HEADER, verifyIdentity, type Viewer } from '../auth/identity.ts';
import { createErrorFormatter, ErrorCode, toFormattedError } from '../config/errors.ts';
import { graphqlRoute } from './graphql-http.ts';
import { attachSubgraphSubscriptions } from '../realtime/subgraph-ws.ts';
import { createHttpServer, sendJson, type HttpServer, type ReadinessProbe, type RouteHandler } from './http.ts';
import { requestIdFrom, type Logger } from '../config/logger.ts';
import { tuneGarbageCollection } from './gc-tuning.ts';

export interface SubgraphServerOptions<TContext extends BaseContext> {
  typeDefs: DocumentNode;
  resolvers: unknown;
  identitySecret: string;
  logger: Logger;
  registry: Registry;
  readiness: ReadinessProbe;
  maxBodyBytes: number;
  production: boolean;
  /** Builds the per-operation context; `req` is absent for operations over WebSocket. */
  context(viewer: Viewer | null, requestId: string, req: IncomingMessage | undefined): Promise<TContext> | TContext;
  routes?: RouteHandler[];
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
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();

  const graphql = graphqlRoute(apollo, {
    maxBodyBytes: options.maxBodyBytes,
    context: async (req) => {
      const identity = verifyIdentity(header(req, IDENTITY_HEADER), options.identitySecret);
      // Checked again by the guard below; kept here so a context can never exist without it.
      if (!identity.ok) throw new Error(identity.reason);
      return options.context(identity.viewer, requestIdFrom(req.headers), req);
    },
  });
  const guarded: RouteHandler = async (req, res, url) => {
    if (url.pathname !== '/graphql') return false;
    const identity = verifyIdentity(header(req, IDENTITY_HEADER), options.identitySecret);
    if (!identity.ok) {
      logger.warn({ reason: identity.reason, requestId: requestIdFrom(req.headers) }, 'request refused: identity signature');
      sendJson(res, 401, {
        errors: [{ message: `Subgraphs only answer the gateway: ${identity.reason}`, extensions: { code: ErrorCode.UNAUTHENTICATED } }],
      });
      req.resume();
      return true;
    }
    return graphql(req, res, url);
  };

  const http = createHttpServer({
    logger,
    registry: options.registry,
    readiness: options.readiness,
    routes: [guarded, ...(options.routes ?? [])],
  });
  const subscriptions = schema.getSubscriptionType()
    ? attachSubgraphSubscriptions({
        server: http.server,
        schema,
        identitySecret: options.identitySecret,
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
