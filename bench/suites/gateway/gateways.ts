import type { HttpLoadResult } from '../../lib/http-load.ts';
import type { Shape } from './queries.ts';

/** The gateways the suite compares, and what its runs and tables (tables.ts) share. */
export const GATEWAYS = ['ours', 'vanilla', 'hive'] as const;
export type GatewayName = (typeof GATEWAYS)[number];
export const GATEWAY_LABELS: Record<GatewayName, string> = {
  ours: 'this gateway',
  vanilla: '@apollo/gateway + @apollo/server',
  hive: '@graphql-hive/gateway',
};

export interface GatewayRun {
  shape: Shape;
  gateway: GatewayName;
  result: HttpLoadResult | null;
  failure?: string;
}
