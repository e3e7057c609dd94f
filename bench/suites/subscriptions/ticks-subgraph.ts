/**
 * (b) The subgraph that owns the benchmark's subscription: ticks arrive on Redis (published by a
 * separate process, like a persister publishes after commit) and reference User, which the people
 * fixture subgraph owns, so the gateway completes each event with an entity fetch.
 */
import { readFileSync } from 'node:fs';
import type { Viewer } from '@finder/platform/auth';
import { createLogger, createRegistry, loadSecrets, redisEnv, redisTarget, unauthenticated } from '@finder/platform/config';
import { createPubSub } from '@finder/platform/realtime';
import { createSubgraphServer } from '@finder/platform/server';
import { gql } from 'graphql-tag';
import { tickTrigger, type Tick } from './ticks.ts';

const env = process.env as Record<string, string>;
const logger = createLogger('ticks', env.LOG_LEVEL ?? 'warn');
// REDIS_URL, or REDIS_CLUSTER_NODES for the cluster row.
const pubsub = createPubSub({ redis: redisTarget(redisEnv.parse(env)), logger });

const ticks = {
  subscribe: (_: unknown, { topic }: { topic: string }, ctx: { viewer: Viewer | null }) => {
    if (!ctx.viewer) throw unauthenticated();
    return pubsub.engine.asyncIterableIterator(tickTrigger(topic));
  },
  resolve: (event: Tick) => event,
};

const server = await createSubgraphServer<{ viewer: Viewer | null }>({
  typeDefs: gql(readFileSync(new URL('./ticks.graphql', import.meta.url), 'utf8')),
  resolvers: {
    Subscription: { tick: ticks, privateTick: ticks },
    Tick: { author: (event: Tick) => ({ __typename: 'User', id: event.authorId }) },
  },
  name: 'ticks',
  subgraphIdentitySecret: loadSecrets(['SUBGRAPH_IDENTITY_SECRET']).SUBGRAPH_IDENTITY_SECRET,
  logger,
  registry: createRegistry('ticks'),
  maxBodyBytes: 1024 * 1024,
  production: false,
  readiness: () => ({ redis: { ok: pubsub.ready() } }),
  context: (viewer) => ({ viewer }),
});
await server.start(Number(env.PORT), '127.0.0.1');
process.once('SIGTERM', async () => {
  await server.stop();
  await pubsub.close();
  process.exit(0);
});
