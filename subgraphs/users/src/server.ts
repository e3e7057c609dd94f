import { readFileSync } from 'node:fs';
import { createRevocationPublisher, createTokenIssuer } from '@finder/platform/auth';
import { subgraphServer, type Infra } from '@finder/platform/server';
import { createSubmit, createWriter } from '@finder/platform/write';
import { gql } from 'graphql-tag';
import { createContext } from './context.ts';
import type { UsersServerEnv } from './env.ts';
import { usersEvents } from './events/users-events.ts';
import { resolvers } from './resolvers/index.ts';
import { createAccounts } from './services/accounts.ts';

export const typeDefs = gql(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

/** Builds the users subgraph without listening, so tests can start it on any port. */
export async function buildUsersServer(env: UsersServerEnv, { orm, pubsub, producer, logger, registry }: Infra) {
  const accounts = createAccounts({
    submit: createSubmit(createWriter({ producer, pubsub, timeoutMs: env.WRITE_TIMEOUT_MS, logger, registry }), usersEvents),
    issuer: await createTokenIssuer({ privateKeyPem: env.JWT_PRIVATE_KEY, issuer: env.JWT_ISSUER, ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS }),
    revocations: createRevocationPublisher(pubsub.redis, { accessTokenTtlMs: env.ACCESS_TOKEN_TTL_SECONDS * 1000, logger }),
    refreshTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    linkSecret: env.USERS_TOKEN_SECRET,
    registration: env.REGISTRATION,
  });
  return subgraphServer(env, { orm, pubsub, producer, logger, registry }, {
    name: 'users',
    typeDefs,
    resolvers,
    context: (viewer, requestId) => createContext({ em: orm.em, accounts, logger }, viewer, requestId),
  });
}
