import { loadEnv, subgraphEnv } from '@finder/platform/config';
import type { z } from 'zod';

const schema = subgraphEnv;

export type FinderEnv = z.infer<typeof schema>;
export const loadFinderEnv = (source: NodeJS.ProcessEnv = process.env): FinderEnv => loadEnv(schema, source);

/**
 * The secrets the server loads (loadSecrets), and the only ones its environment holds: its own key for
 * the gateways' identity signature, and the key search cursors are signed with (shared by finder's replicas
 * only). Persisters and the seed need neither.
 */
export const FINDER_SERVER_SECRETS = ['SUBGRAPH_IDENTITY_SECRET', 'FINDER_CURSOR_SECRET'] as const;

export type FinderServerEnv = FinderEnv & Record<(typeof FINDER_SERVER_SECRETS)[number], string>;
