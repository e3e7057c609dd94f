import { loadEnv, subgraphEnv } from '@finder/platform/config';
import type { z } from 'zod';

const schema = subgraphEnv;

export type FinderEnv = z.infer<typeof schema>;
export const loadFinderEnv = (source: NodeJS.ProcessEnv = process.env): FinderEnv => loadEnv(schema, source);

/**
 * The secrets the server loads (loadSecrets), and the only ones its environment holds: the gateway
 * identity's public key, and the key search cursors are signed with (shared by finder's replicas
 * only). Persisters and the seed need neither.
 */
export const FINDER_SERVER_SECRETS = ['IDENTITY_PUBLIC_KEY', 'FINDER_CURSOR_SECRET'] as const;

export type FinderServerEnv = FinderEnv & Record<(typeof FINDER_SERVER_SECRETS)[number], string>;
