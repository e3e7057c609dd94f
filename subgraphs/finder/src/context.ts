import type { Viewer } from '@finder/platform/auth';
import type { Logger } from '@finder/platform/config';
import type { CursorContext } from '@finder/platform/realtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createLoaders, type Loaders } from './loaders.ts';
import type { Engagements } from './services/engagements.ts';
import type { Notifications } from './services/notifications.ts';
import type { Profiles } from './services/profiles.ts';
import type { Search } from './services/search.ts';

export interface Services {
  profiles: Profiles;
  engagements: Engagements;
  notifications: Notifications;
  search: Search;
}

/** One per request, the same shape for HTTP and WebSocket. */
export interface Context extends CursorContext, Services {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  em: EntityManager;
  loaders: Loaders;
}

export function createContext(deps: { em: EntityManager; services: Services; logger: Logger }, viewer: Viewer | null, requestId: string): Context {
  const em = deps.em.fork();
  return {
    viewer,
    requestId,
    logger: deps.logger.child({ requestId }),
    em,
    loaders: createLoaders(em),
    ...deps.services,
  };
}
