import type { Viewer } from '@finder/platform/auth';
import type { Logger } from '@finder/platform/config';
import type { CursorContext, PubSub } from '@finder/platform/realtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createLoaders, type Loaders } from './loaders.ts';
import type { FilesCommands } from './services/commands.ts';
import type { UrlSigner } from './services/signing.ts';

/** One per request or per subscription; the same shape over HTTP and WebSocket. */
export interface Context extends CursorContext {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  em: EntityManager;
  loaders: Loaders;
  commands: FilesCommands;
  pubsub: PubSub;
  signer: UrlSigner;
  downloadTtlMs: number;
  /** A fresh EntityManager, for work that outlives the request (subscription replays). */
  fork(): EntityManager;
  /** Subscriptions live long: each event is resolved with fresh loaders, never stale caches. */
  refreshLoaders(): void;
}

export function createContext(
  deps: { em: EntityManager; commands: FilesCommands; pubsub: PubSub; logger: Logger; signer: UrlSigner; downloadTtlMs: number },
  viewer: Viewer | null,
  requestId: string,
): Context {
  const em = deps.em.fork();
  const context: Context = {
    viewer,
    requestId,
    logger: deps.logger.child({ requestId }),
    em,
    loaders: createLoaders(em, viewer?.id ?? null),
    commands: deps.commands,
    pubsub: deps.pubsub,
    signer: deps.signer,
    downloadTtlMs: deps.downloadTtlMs,
    fork: () => deps.em.fork(),
    refreshLoaders: () => {
      context.em = deps.em.fork();
      context.loaders = createLoaders(context.em, viewer?.id ?? null);
    },
  };
  return context;
}
