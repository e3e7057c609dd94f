import { baseEnv, boolFromString, budget, ConfigError, csv, loadEnv, loadSecrets, optionalRedisTarget, pemFrom, redisSettings, type RedisTarget } from '@finder/platform/config';
import { z } from 'zod';
import { isAddressRange } from './client-address.ts';
import { isOrigin } from './cors.ts';

export const gatewayEnvSchema = baseEnv.extend({
  SUPERGRAPH_PATH: z.string().default(new URL('../../schema/supergraph.graphql', import.meta.url).pathname),
  JWT_ISSUER: z.string().default('finder-realtime'),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  /** The public URL of the app; its origin is the default CORS allowlist. */
  APP_URL: z.url().default('http://127.0.0.1:8080'),
  /** Origins whose pages may call /graphql from a browser (comma-separated); default: APP_URL's. */
  CORS_ORIGINS: csv.optional().superRefine((origins, ctx) => {
    for (const origin of origins ?? []) {
      if (!isOrigin(origin)) ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin: write scheme://host[:port], without a path or trailing slash` });
    }
  }),
  /**
   * Path of a persisted documents manifest (the SDK's packages/client/src/__generated__/persisted-documents.json):
   * when set, only its operations run, named by hash (trusted-documents.ts). Unset: any operation.
   */
  TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  /** The manifest whose operation names metrics label by name (any other name is pooled as `other`). */
  OPERATION_NAMES_MANIFEST: z.string().default(new URL('../../packages/client/src/__generated__/persisted-documents.json', import.meta.url).pathname),
  /** Defaults to on outside production; Sandbox needs it. */
  INTROSPECTION: boolFromString.optional(),
  /** Operation limits, over HTTP and WebSocket alike (gateway/src/limits/). */
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().default(12),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(30),
  GRAPHQL_MAX_ROOT_FIELDS: z.coerce.number().int().positive().default(20),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().positive().default(5_000),
  GRAPHQL_MAX_COST: z.coerce.number().int().positive().default(10_000),
  /** The size assumed for a list field without a slicing argument or `@listSize(assumedSize)`. */
  GRAPHQL_DEFAULT_LIST_SIZE: z.coerce.number().int().positive().default(10),
  /**
   * What runs query plans: `compiled`, the gateway's own executor (src/executor/; introspection and
   * the few plans it does not run go to Apollo's), or `apollo`, @apollo/gateway's executeQueryPlan.
   */
  GATEWAY_EXECUTOR: z.enum(['compiled', 'apollo']).default('compiled'),
  /**
   * Queries and mutations over HTTP answered without Apollo Server's request pipeline (direct-answers.ts) when
   * they run without an error; needs the compiled executor.
   */
  GATEWAY_DIRECT_ANSWERS: boolFromString.default(true),
  /** Identical subgraph queries for the same viewer in flight at once share one fetch (inflight-merge.ts). */
  GATEWAY_MERGE_INFLIGHT: boolFromString.default(false),
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  WS_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().positive().default(100),
  WS_MAX_MESSAGE_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  WS_KEEPALIVE_MS: z.coerce.number().int().positive().default(12_000),
  WS_MAX_CONNECTIONS: z.coerce.number().int().positive().default(20_000),
  WS_CONNECT_RATE_PER_ADDRESS: z.coerce.number().positive().default(200),
  WS_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().positive().default(200),
  WS_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().positive().default(20),
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().positive().default(4 * 1024 * 1024),
  /**
   * Where budgets and revocations are kept, shared by every gateway: one Redis (REDIS_URL) or a
   * Redis Cluster (REDIS_CLUSTER_NODES); without either, per process, and refused in production.
   */
  ...redisSettings,
  /** Peers whose X-Forwarded-For names the client (nginx): addresses or CIDR ranges, comma-separated. */
  TRUSTED_PROXIES: csv.default(['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']).superRefine((ranges, ctx) => {
    for (const range of ranges) {
      if (!isAddressRange(range)) ctx.addIssue({ code: 'custom', message: `"${range}" is not an IP address or CIDR range (such as 10.0.0.0/8)` });
    }
  }),
  /** Budgets (gateway/src/limits/budgets.ts), `<points>/<window>`. */
  BUDGET_COST: z.string().default('200000/1m').pipe(budget),
  BUDGET_LOGIN_PER_ACCOUNT: z.string().default('10/15m').pipe(budget),
  BUDGET_LOGIN_PER_ADDRESS: z.string().default('60/15m').pipe(budget),
  BUDGET_REGISTER: z.string().default('10/1h').pipe(budget),
  BUDGET_REQUEST_PASSWORD_RESET: z.string().default('5/1h').pipe(budget),
  BUDGET_CREATE_UPLOAD: z.string().default('60/1m').pipe(budget),
  BUDGET_REQUEST_CONVERSION: z.string().default('60/1m').pipe(budget),
  BUDGET_START_CONVERSATION: z.string().default('30/1m').pipe(budget),
  BUDGET_REQUEST_ENGAGEMENT: z.string().default('30/1m').pipe(budget),
  BUDGET_SEARCH_PROFESSIONALS: z.string().default('120/1m').pipe(budget),
  UPSTREAM_SOCKETS_PER_SUBGRAPH: z.coerce.number().int().min(1).max(64).default(2),
  /** How long entity fetches of simultaneous subscription events wait to share one request (0: one event-loop turn). */
  SUBSCRIPTION_ENTITY_BATCH_MS: z.coerce.number().int().min(0).max(1_000).default(0),
  /**
   * How long a completed event stays available to other per-viewer streams receiving the same
   * event (0: shared only while it is being completed).
   */
  SUBSCRIPTION_COMPLETION_SHARE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
});

export type GatewayEnv = z.infer<typeof gatewayEnvSchema> & {
  jwtPublicKey: string;
  /** REDIS_URL or REDIS_CLUSTER_NODES, null when neither is set. */
  redis: RedisTarget | null;
  /** Signs the identity forwarded to subgraphs (identity.ts); each subgraph holds only the key derived from it for itself. */
  IDENTITY_SECRET: string;
  /** CORS_ORIGINS, or the origin of APP_URL. */
  corsOrigins: string[];
  introspection: boolean;
  /** Per-subgraph URL overrides from SUBGRAPH_<NAME>_URL. */
  subgraphUrls: Record<string, string>;
  /** Per-subgraph graphql-ws endpoints (replicas) from SUBGRAPH_<NAME>_WS_URLS. */
  subgraphWsUrls: Record<string, string[]>;
};

export function loadGatewayEnv(source: NodeJS.ProcessEnv = process.env): GatewayEnv {
  const env = loadEnv(gatewayEnvSchema, source);
  const { IDENTITY_SECRET } = loadSecrets(['IDENTITY_SECRET'], source);
  const jwtPublicKey = pemFrom(source, 'JWT_PUBLIC_KEY');
  if (!jwtPublicKey) {
    process.stderr.write('Invalid configuration:\n  - JWT_PUBLIC_KEY: set it, or JWT_PUBLIC_KEY_FILE (missing)\n');
    process.exit(1);
  }
  let redis: RedisTarget | null;
  try {
    redis = optionalRedisTarget(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  if (env.NODE_ENV === 'production' && !redis) {
    process.stderr.write('Invalid configuration:\n  - REDIS_URL: required in production (or REDIS_CLUSTER_NODES), where every gateway keeps its budgets in Redis (missing)\n');
    process.exit(1);
  }
  const subgraphUrls: Record<string, string> = {};
  const subgraphWsUrls: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(source)) {
    const http = /^SUBGRAPH_([A-Z0-9_]+)_URL$/.exec(key);
    if (http && value) subgraphUrls[http[1]!.toLowerCase()] = value;
    const ws = /^SUBGRAPH_([A-Z0-9_]+)_WS_URLS$/.exec(key);
    if (ws && value) subgraphWsUrls[ws[1]!.toLowerCase()] = value.split(',').map((u) => u.trim()).filter(Boolean);
  }
  return { ...env, IDENTITY_SECRET, jwtPublicKey, redis, corsOrigins: env.CORS_ORIGINS ?? [new URL(env.APP_URL).origin], introspection: env.INTROSPECTION ?? env.NODE_ENV !== 'production', subgraphUrls, subgraphWsUrls };
}
