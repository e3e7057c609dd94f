import { readFileSync } from 'node:fs';
import { createTokenIssuer } from '@finder/platform/auth';
import type { EventProducer } from '@finder/platform/kafka';
import type { Logger } from '@finder/platform/config';
import { subgraphServer } from '@finder/platform/server';
import type { PubSub } from '@finder/platform/realtime';
import { createWriter } from '@finder/platform/write';
import type { MikroORM } from '@mikro-orm/postgresql';
import { gql } from 'graphql-tag';
import type { Registry } from 'prom-client';
import { createContext } from './context.ts';
import type { UsersEnv } from './env.ts';
import { resolvers } from './resolvers/index.ts';
import { createAccounts } from './services/accounts.ts';

export const typeDefs = gql(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface UsersServerDeps {
  env: UsersEnv;
  orm: MikroORM;
  pubsub: PubSub;
  producer: EventProducer;
  logger: Logger;
  registry: Registry;
}

/** Builds the users subgraph without listening, so tests can start it on any port. */
export async function buildUsersServer({ env, orm, pubsub, producer, logger, registry }: UsersServerDeps) {
  if (!env.jwtPrivateKey) throw new Error('JWT_PRIVATE_KEY (or JWT_PRIVATE_KEY_FILE) is required to issue access tokens');
  const accounts = createAccounts({
    writer: createWriter({ producer, pubsub, timeoutMs: env.WRITE_TIMEOUT_MS, logger, registry }),
    issuer: await createTokenIssuer({ privateKeyPem: env.jwtPrivateKey, issuer: env.JWT_ISSUER, ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS }),
    refreshTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    linkSecret: env.usersTokenSecret,
  });
  return subgraphServer(env, { orm, pubsub, producer, logger, registry }, {
    typeDefs,
    resolvers,
    context: (viewer, requestId) => createContext({ em: orm.em, accounts, logger }, viewer, requestId),
  });
}
