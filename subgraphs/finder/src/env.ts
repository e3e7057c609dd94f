import { createHmac } from 'node:crypto';
import { loadEnv, subgraphEnv } from '@finder/platform/config';
import type { z } from 'zod';

const schema = subgraphEnv;

export type FinderEnv = z.infer<typeof schema> & { searchCursorSecret: string };

export function loadFinderEnv(source: NodeJS.ProcessEnv = process.env): FinderEnv {
  const env = loadEnv(schema, source);
  // Search cursors are signed with a key derived from the identity secret, which every finder
  // replica already shares, rather than with the identity secret itself.
  return { ...env, searchCursorSecret: createHmac('sha256', env.IDENTITY_SECRET).update('finder-search-cursors').digest('base64url') };
}
