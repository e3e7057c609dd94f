import { baseEnv, boolFromString, identityEnv, loadEnv, pemFrom } from '@finder/platform/env';
import { z } from 'zod';

const schema = baseEnv.extend(identityEnv.shape).extend({
  SUPERGRAPH_PATH: z.string().default(new URL('../../schema/supergraph.graphql', import.meta.url).pathname),
  JWT_ISSUER: z.string().default('finder-realtime'),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  /** Defaults to on outside production; Sandbox needs it. */
  INTROSPECTION: boolFromString.optional(),
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
});

export type GatewayEnv = z.infer<typeof schema> & {
  jwtPublicKey: string;
  introspection: boolean;
  /** Per-subgraph URL overrides from SUBGRAPH_<NAME>_URL. */
  subgraphUrls: Record<string, string>;
};

export function loadGatewayEnv(source: NodeJS.ProcessEnv = process.env): GatewayEnv {
  const env = loadEnv(schema, source);
  const jwtPublicKey = pemFrom(source, 'JWT_PUBLIC_KEY');
  if (!jwtPublicKey) {
    process.stderr.write('Invalid configuration:\n  - JWT_PUBLIC_KEY: set it, or JWT_PUBLIC_KEY_FILE (missing)\n');
    process.exit(1);
  }
  const subgraphUrls: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    const match = /^SUBGRAPH_([A-Z0-9_]+)_URL$/.exec(key);
    if (match && value) subgraphUrls[match[1]!.toLowerCase()] = value;
  }
  return { ...env, jwtPublicKey, introspection: env.INTROSPECTION ?? env.NODE_ENV !== 'production', subgraphUrls };
}
