import { readFileSync } from 'node:fs';
import { subgraphServer, type Infra } from '@finder/platform/server';
import { createSubmit, createWriter } from '@finder/platform/write';
import { gql } from 'graphql-tag';
import { createContext, type Services } from './context.ts';
import type { FinderServerEnv } from './env.ts';
import { finderEvents } from './events/finder-events.ts';
import { resolvers } from './resolvers/index.ts';
import { createEngagements } from './services/engagements.ts';
import { createNotifications } from './services/notifications.ts';
import { createProfiles } from './services/profiles.ts';
import { createSearch } from './services/search.ts';

export const typeDefs = gql(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

/** Builds the finder subgraph without listening, so tests can start it on any port. */
export async function buildFinderServer(env: FinderServerEnv, { orm, pubsub, producer, logger, registry }: Infra) {
  const submit = createSubmit(createWriter({ producer, pubsub, timeoutMs: env.WRITE_TIMEOUT_MS, logger, registry }), finderEvents);
  const services: Services = {
    profiles: createProfiles(submit),
    engagements: createEngagements(submit),
    notifications: createNotifications({ submit, pubsub, logger }),
    search: createSearch(env.FINDER_CURSOR_SECRET),
  };
  return subgraphServer(env, { orm, pubsub, producer, logger, registry }, {
    name: 'finder',
    typeDefs,
    resolvers,
    context: (viewer, requestId) => createContext({ em: orm.em, services, logger }, viewer, requestId),
  });
}
