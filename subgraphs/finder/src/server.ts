import { readFileSync } from 'node:fs';
import type { EventProducer } from '@finder/platform/kafka';
import type { Logger } from '@finder/platform/config';
import { subgraphServer } from '@finder/platform/server';
import type { PubSub } from '@finder/platform/realtime';
import { createWriter } from '@finder/platform/write';
import type { MikroORM } from '@mikro-orm/postgresql';
import { gql } from 'graphql-tag';
import type { Registry } from 'prom-client';
import { createContext, type Services } from './context.ts';
import type { FinderEnv } from './env.ts';
import { resolvers } from './resolvers/index.ts';
import { createEngagements } from './services/engagements.ts';
import { createNotifications } from './services/notifications.ts';
import { createProfiles } from './services/profiles.ts';
import { submitter } from './services/submit.ts';

export const typeDefs = gql(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface FinderServerDeps {
  env: FinderEnv;
  orm: MikroORM;
  pubsub: PubSub;
  producer: EventProducer;
  logger: Logger;
  registry: Registry;
}

/** Builds the finder subgraph without listening, so tests can start it on any port. */
export async function buildFinderServer({ env, orm, pubsub, producer, logger, registry }: FinderServerDeps) {
  const submit = submitter(createWriter({ producer, pubsub, timeoutMs: env.WRITE_TIMEOUT_MS, logger, registry }));
  const services: Services = {
    profiles: createProfiles(submit),
    engagements: createEngagements(submit),
    notifications: createNotifications({ submit, pubsub, logger }),
  };
  return subgraphServer(env, { orm, pubsub, producer, logger, registry }, {
    typeDefs,
    resolvers,
    context: (viewer, requestId) => createContext({ em: orm.em, services, logger }, viewer, requestId),
  });
}
