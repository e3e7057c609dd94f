import { readFileSync } from 'node:fs';
import { subgraphServer, type Infra } from '@finder/platform/server';
import { createSubmit, createWriter } from '@finder/platform/write';
import { gql } from 'graphql-tag';
import { createContext } from './context.ts';
import type { FilesServerEnv } from './env.ts';
import { filesEvents } from './events/files-events.ts';
import { resolvers } from './resolvers/index.ts';
import { createFilesCommands } from './services/commands.ts';
import { createUrlSigner } from './services/signing.ts';
import { createStorage } from './services/storage.ts';
import { createTransferRoutes } from './services/transfer.ts';

export const typeDefs = gql(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

/** Builds the files subgraph (GraphQL plus the upload/download endpoints) without listening. */
export async function buildFilesServer(env: FilesServerEnv, { orm, pubsub, producer, logger, registry }: Infra) {
  const storage = createStorage(env);
  const signer = createUrlSigner(env.FILES_URL_SECRET, env.FILES_PUBLIC_URL);
  const commands = createFilesCommands({
    submit: createSubmit(createWriter({ producer, pubsub, timeoutMs: env.WRITE_TIMEOUT_MS, logger, registry }), filesEvents),
    storage,
    signer,
    limits: env,
    logger,
  });
  return subgraphServer(env, { orm, pubsub, producer, logger, registry }, {
    name: 'files',
    typeDefs,
    resolvers,
    context: (viewer, requestId) =>
      createContext({ em: orm.em, commands, pubsub, logger, signer, downloadTtlMs: env.FILES_DOWNLOAD_URL_TTL_SECONDS * 1000 }, viewer, requestId),
    routes: [createTransferRoutes({ em: orm.em, redis: pubsub.redis, storage, signer, commands, limits: env, logger })],
  });
}
