import type { Viewer } from '@finder/platform/auth';
import type { Logger } from '@finder/platform/config';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createLoaders, type Loaders } from './loaders.ts';
import type { Accounts } from './services/accounts.ts';

/** One per request, the same shape for HTTP and WebSocket. */
export interface Context {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  em: EntityManager;
  loaders: Loaders;
  accounts: Accounts;
  /** Users this request proved to be (by password or refresh token) before it had an access token. */
  provenUserIds: Set<string>;
}

export function createContext(deps: { em: EntityManager; accounts: Accounts; logger: Logger }, viewer: Viewer | null, requestId: string): Context {
  const em = deps.em.fork();
  return {
    viewer,
    requestId,
    logger: deps.logger.child({ requestId }),
    em,
    loaders: createLoaders(em),
    accounts: deps.accounts,
    provenUserIds: new Set(),
  };
}
