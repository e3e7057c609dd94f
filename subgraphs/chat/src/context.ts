import type { Viewer } from '@finder/platform/auth';
import type { Logger } from '@finder/platform/config';
import type { CursorContext, Presence, PubSub } from '@finder/platform/realtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createLoaders, type Loaders } from './loaders.ts';
import type { ChatCommands } from './services/commands.ts';

/** One per request or per subscription; the same shape over HTTP and WebSocket. */
export interface Context extends CursorContext {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  em: EntityManager;
  loaders: Loaders;
  commands: ChatCommands;
  pubsub: PubSub;
  /** Who watches which conversation (services/watching.ts). */
  watching: Presence;
  /** A fresh EntityManager, for work that outlives the request (subscription replays). */
  fork(): EntityManager;
  /** Subscriptions live long: each event is resolved with fresh loaders, never stale caches. */
  refreshLoaders(): void;
}

export function createContext(
  deps: { em: EntityManager; commands: ChatCommands; pubsub: PubSub; watching: Presence; logger: Logger },
  viewer: Viewer | null,
  requestId: string,
): Context {
  const em = deps.em.fork();
  const context: Context = {
    viewer,
    requestId,
    logger: deps.logger.child({ requestId }),
    em,
    loaders: createLoaders(em),
    commands: deps.commands,
    pubsub: deps.pubsub,
    watching: deps.watching,
    fork: () => deps.em.fork(),
    refreshLoaders: () => {
      context.em = deps.em.fork();
      context.loaders = createLoaders(context.em);
    },
  };
  return context;
}
