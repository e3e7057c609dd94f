import { loadEnv, subgraphEnv } from '@finder/platform/config';
import type { z } from 'zod';

const schema = subgraphEnv;

export type FinderEnv = z.infer<typeof schema>;

export const loadFinderEnv = (source: NodeJS.ProcessEnv = process.env): FinderEnv => loadEnv(schema, source);
