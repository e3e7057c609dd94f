import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { createRevocationList, createTokenVerifier, type RevocationList } from '@finder/platform/auth';
import { createErrorFormatter, type Logger, type RedisTarget, toFormattedError } from '@finder/platform/config';
import { createHttpServer, createRateLimitRedis, graphqlRoute, HttpError, type HttpServer } from '@finder/platform/server';
import { Counter, type Registry } from 'prom-client';
import { createDirectAnswers } from './direct-answers.ts';
import { createOperationCompiler } from './executor/executor.ts';
import { withCompiledExecutor } from './executor/gateway.ts';
import { createClientAddress } from './client-address.ts';
import { createGatewayContext, type GatewayContext } from './context.ts';
import { corsRoute } from './cors.ts';
import type { GatewayEnv } from './env.ts';
import { gatewayErrors, operationLimitsPlugin } from './limits/apollo-plugin.ts';
import { operationResolutionPlugin } from './operation-resolution.ts';
import { createBudgets } from './limits/budgets.ts';
import { createOperationLimits } from './limits/operation-limits.ts';
import { SignedSubgraphSource } from './subgraph-source.ts';
import { loadTrustedDocuments, type TrustedDocuments } from './trusted-documents.ts';
import { createSubscriptionEngine } from './subscriptions/engine.ts';
import { createSubscriptionMetrics } from './subscriptions/metrics.ts';
import { createOperationMetrics, knownOperationNames, operationMetricsPlugin } from './operation-metrics.ts';
import { createSubgraphFetchMetrics } from './subgraph-metrics.ts';
import { createSubscriptionPlanner } from './subscriptions/plan.ts';
import { loadSupergraph } from './supergraph.ts';
import { createUpstreamPool } from './subscriptions/upstream.ts';
import { createViewerScope } from './subscriptions/viewer-scope.ts';
import { attachClientSubscriptions } from './subscriptions/ws-server.ts';

export interface Gateway {
  http: HttpServer;
  apollo: ApolloServer<GatewayContext>;
  engine: ReturnType<typeof createSubscriptionEngine>;
  start(port: number, host: string): Promise<number>;
  stop(): Promise<void>;
}

/** Builds the gateway without listening, so tests can run it on any port. */
export async function buildGateway({ env, logger, registry }: { env: GatewayEnv; logger: Logger; registry: Registry }): Promise<Gateway> {
  const production = env.NODE_ENV === 'production';
  const supergraphSdl = readFileSync(env.SUPERGRAPH_PATH, 'utf8');
  const loaded = loadSupergraph(supergraphSdl);
  const httpUrl = (name: string, url: string | undefined) => {
    const target = env.subgraphUrls[name] ?? url;
    if (!target) throw new Error(`no URL for subgraph ${name}: set SUBGRAPH_${name.toUpperCase()}_URL`);
    return target;
  };
  const fetchMetrics = createSubgraphFetchMetrics(registry);
  const source = (name: string, url?: string) =>
    new SignedSubgraphSource(name, httpUrl(name, url), env.IDENTITY_SECRET, env.SUBGRAPH_TIMEOUT_MS, fetchMetrics, {
      mergeInflight: env.GATEWAY_MERGE_INFLIGHT,
      onMerged: fetchMetrics.merged,
    });
  // The data sources Apollo builds, by subgraph, for the compiled executor to fetch through too.
  const services: Record<string, SignedSubgraphSource> = {};
  const apolloGateway = new ApolloGateway({ supergraphSdl, buildService: ({ name, url }) => (services[name] = source(name, url)), logger });
  const compiled = env.GATEWAY_EXECUTOR === 'compiled';
  const onFallback = (reason: string) => logger.debug({ reason }, "operation runs on Apollo's executor");
  const gateway = compiled ? withCompiledExecutor(apolloGateway, { loaded, services, onFallback }) : apolloGateway;
  const formatError = gatewayErrors(createErrorFormatter(logger, { maskInternal: production }), { production });
  const limits = createOperationLimits(loaded.apiGraphQLSchema, loaded.supergraphGraphQLSchema, {
    maxDepth: env.GRAPHQL_MAX_DEPTH,
    maxAliases: env.GRAPHQL_MAX_ALIASES,
    maxRootFields: env.GRAPHQL_MAX_ROOT_FIELDS,
    maxDirectives: env.GRAPHQL_MAX_DIRECTIVES,
    maxTokens: env.GRAPHQL_MAX_TOKENS,
    maxCost: env.GRAPHQL_MAX_COST,
    defaultListSize: env.GRAPHQL_DEFAULT_LIST_SIZE,
  });
  const budgetRedis = env.redis ? createRateLimitRedis(env.redis, logger) : null;
  if (!budgetRedis) logger.warn('neither REDIS_URL nor REDIS_CLUSTER_NODES is set: budgets are kept per gateway process');
  const budgetRefusals = new Counter({ name: 'gateway_budget_refusals_total', help: 'Operations refused with RATE_LIMITED, by budget', labelNames: ['budget'], registers: [registry] });
  const budgets = createBudgets(budgetRedis, env, (budget) => budgetRefusals.inc({ budget }));
  const clientAddress = createClientAddress(env.TRUSTED_PROXIES);
  const trusted: TrustedDocuments | null = env.TRUSTED_DOCUMENTS ? loadTrustedDocuments(env.TRUSTED_DOCUMENTS) : null;
  if (trusted) logger.info({ documents: trusted.size, manifest: env.TRUSTED_DOCUMENTS }, 'trusted documents only');
  const operationMetrics = createOperationMetrics(registry, knownOperationNames(env.OPERATION_NAMES_MANIFEST));
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError,
    includeStacktraceInErrorResponses: !production,
    hideSchemaDetailsFromClientErrors: production,
    introspection: env.introspection,
    // On by default; clients send `Content-Type: application/json` (or `apollo-require-preflight: true`).
    csrfPrevention: true,
    parseOptions: { maxTokens: env.GRAPHQL_MAX_TOKENS },
    // With trusted documents the route hands Apollo the manifest's text and no persistedQuery
    // extension; APQ, which would register any text under its hash, is off all the same.
    ...(trusted ? { persistedQueries: false as const } : {}),
    plugins: [
      operationMetricsPlugin(operationMetrics),
      operationResolutionPlugin(),
      operationLimitsPlugin(limits, budgets),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: { endpointIsEditable: false }, includeCookies: false }),
    ],
  });
  await apollo.start();

  const revocations = env.redis ? await loadRevocations(env.redis, logger) : null;
  if (!revocations) logger.warn('neither REDIS_URL nor REDIS_CLUSTER_NODES is set: access tokens of ended logins stay valid until they expire');
  const verifier = await createTokenVerifier({
    publicKeyPem: env.jwtPublicKey,
    issuer: env.JWT_ISSUER,
    ...(revocations ? { isRevoked: revocations.isRevoked } : {}),
  });
  const context = (req: IncomingMessage) => createGatewayContext(req, verifier, clientAddress);
  const directAnswers =
    compiled && env.GATEWAY_DIRECT_ANSWERS
      ? createDirectAnswers({
          loaded,
          services,
          compile: createOperationCompiler(loaded, onFallback),
          context,
          limits,
          budgets,
          metrics: operationMetrics,
          maxTokens: env.GRAPHQL_MAX_TOKENS,
          registry,
        })
      : null;
  let ready = true;
  const http = createHttpServer({
    logger,
    registry,
    readiness: () => ({ gateway: { ok: ready } }),
    routes: [
      corsRoute(env.corsOrigins),
      graphqlRoute(apollo, {
        serviceName: 'gateway',
        maxBodyBytes: env.MAX_BODY_BYTES,
        context,
        ...(directAnswers ? { execute: directAnswers } : {}),
        ...(trusted ? { resolveQuery: (fields: Parameters<TrustedDocuments['resolve']>[0]) => trustedQuery(trusted, fields) } : {}),
      }),
    ],
  });
  const metrics = createSubscriptionMetrics(registry);
  const pool = createUpstreamPool({
    endpoints: Object.fromEntries(
      loaded.subgraphs.map(({ name, url }) => [name, env.subgraphWsUrls[name] ?? [httpUrl(name, url).replace(/^http/, 'ws')]]),
    ),
    socketsPerEndpoint: env.UPSTREAM_SOCKETS_PER_SUBGRAPH,
    identitySecret: env.IDENTITY_SECRET,
    logger,
    metrics,
  });
  const scope = createViewerScope(loaded.supergraphGraphQLSchema);
  const engine = createSubscriptionEngine({
    loaded,
    plan: createSubscriptionPlanner(loaded, scope),
    pool,
    services: Object.fromEntries(loaded.subgraphs.map(({ name, url }) => [name, source(name, url)])),
    scope,
    entityBatchWindowMs: env.SUBSCRIPTION_ENTITY_BATCH_MS,
    completionShareMs: env.SUBSCRIPTION_COMPLETION_SHARE_MS,
    apolloExecutor: env.GATEWAY_EXECUTOR === 'apollo',
    identitySecret: env.IDENTITY_SECRET,
    logger,
    metrics,
    formatError: (error) => formatError(toFormattedError(error), error),
  });
  const subscriptions = attachClientSubscriptions({
    server: http.server,
    apiSchema: loaded.apiGraphQLSchema,
    verifier,
    revocations,
    operationLimits: limits,
    budgets,
    clientAddress,
    trustedDocuments: trusted,
    limits: {
      connectionInitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_MS,
      maxSubscriptionsPerConnection: env.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxMessageBytes: env.WS_MAX_MESSAGE_BYTES,
      keepAliveMs: env.WS_KEEPALIVE_MS,
      maxConnections: env.WS_MAX_CONNECTIONS,
      connectRatePerAddress: env.WS_CONNECT_RATE_PER_ADDRESS,
      maxConnectionsPerAddress: env.WS_MAX_CONNECTIONS_PER_ADDRESS,
      maxConnectionsPerUser: env.WS_MAX_CONNECTIONS_PER_USER,
      maxBufferedBytes: env.WS_MAX_BUFFERED_BYTES,
    },
    logger,
    metrics,
    subscribe: (request, deliver) => engine.subscribe(request, deliver),
    formatError: (error) => formatError(toFormattedError(error), error),
  });

  return {
    http,
    apollo,
    engine,
    start: (port, host) => http.listen(port, host),
    async stop() {
      ready = false;
      http.drain();
      // Clients reconnect to another gateway (1012) before this one stops answering HTTP.
      await subscriptions.close();
      engine.closeAll();
      await pool.close();
      await http.close();
      await apollo.stop();
      budgetRedis?.disconnect();
      await revocations?.close();
    },
  };
}

/** How long a starting gateway waits for Redis to hand it the revocations made before it started. */
const REVOCATIONS_LOAD_WAIT_MS = 5_000;

/**
 * The revoked logins, loaded before the gateway serves its first request, so a gateway started
 * after a sign-out refuses that login's tokens too. With Redis unreachable it starts without them
 * (after a bounded wait) and loads them once Redis answers.
 */
async function loadRevocations(target: RedisTarget, logger: Logger): Promise<RevocationList> {
  const revocations = createRevocationList(target, logger);
  let timer: NodeJS.Timeout | undefined;
  const loaded = await Promise.race([
    revocations.loaded.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), REVOCATIONS_LOAD_WAIT_MS))),
  ]).finally(() => clearTimeout(timer));
  if (!loaded) logger.warn({ waitedMs: REVOCATIONS_LOAD_WAIT_MS }, 'starting without the revoked logins: Redis did not answer; they load once it does');
  return revocations;
}

/** The manifest's text for an HTTP request, or its refusal as a 400 answer. */
function trustedQuery(trusted: TrustedDocuments, fields: Parameters<TrustedDocuments['resolve']>[0]): string {
  const resolved = trusted.resolve(fields);
  if ('refusal' in resolved) throw new HttpError(400, resolved.refusal.code, resolved.refusal.message);
  return resolved.query;
}
