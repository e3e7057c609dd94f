import type { HttpLoadResult } from '../../lib/http-load.ts';
import type { Shape } from './queries.ts';

/** The gateways the suite compares, and what its runs and tables (tables.ts) share. */
export const GATEWAYS = ['ours', 'traced', 'vanilla', 'hive'] as const;
export type GatewayName = (typeof GATEWAYS)[number];
/** Tracing's sampling ratio in the `traced` run: what an operator would run in production. */
export const TRACED_SAMPLING = 0.01;
export const GATEWAY_LABELS: Record<GatewayName, string> = {
  ours: 'this gateway',
  traced: `this gateway, tracing ${TRACED_SAMPLING * 100}% (OTLP)`,
  vanilla: '@apollo/gateway + @apollo/server',
  hive: '@graphql-hive/gateway',
};

export interface GatewayRun {
  shape: Shape;
  gateway: GatewayName;
  result: HttpLoadResult | null;
  failure?: string;
}
