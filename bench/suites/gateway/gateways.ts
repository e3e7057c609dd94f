import type { HttpLoadResult } from '../../lib/http-load.ts';
import type { Shape } from './queries.ts';

/**
 * The gateways the suite compares, and what its runs and tables (tables.ts) share. `ours` runs
 * query plans on Apollo's executeQueryPlan (GATEWAY_EXECUTOR=apollo, as measured before the
 * compiled executor), `compiled` and `traced` on the gateway's own (the default), `merged` too
 * with identical subgraph queries in flight merged (GATEWAY_MERGE_INFLIGHT). Hive Gateway merges
 * them by default; `hive-unmerged` is it with that turned off.
 */
export const GATEWAYS = ['ours', 'compiled', 'traced', 'merged', 'vanilla', 'hive', 'hive-unmerged'] as const;
export type GatewayName = (typeof GATEWAYS)[number];
/** The `./dev up` subgraph servers the shapes reach, whose CPU per request the suite reports too. */
export const SUBGRAPH_SERVERS = ['users', 'chat', 'finder'];
/** Tracing's sampling ratio in the `traced` run: what an operator would run in production. */
export const TRACED_SAMPLING = 0.01;
export const GATEWAY_LABELS: Record<GatewayName, string> = {
  ours: "this gateway, Apollo's executor",
  compiled: 'this gateway, compiled executor',
  traced: `this gateway, compiled, tracing ${TRACED_SAMPLING * 100}% (OTLP)`,
  merged: 'this gateway, compiled, in-flight merging',
  vanilla: '@apollo/gateway + @apollo/server',
  hive: '@graphql-hive/gateway',
  'hive-unmerged': '@graphql-hive/gateway, deduplication off',
};

export interface GatewayRun {
  shape: Shape;
  gateway: GatewayName;
  result: HttpLoadResult | null;
  failure?: string;
}

/** One round of tracing's cost: a gateway untraced (`compiled`) or traced, at a fixed offered rate. */
export interface TracingRun {
  shape: Shape;
  gateway: 'compiled' | 'traced';
  round: number;
  rate: number;
  result: HttpLoadResult;
}
