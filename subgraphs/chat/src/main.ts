import { createPersister } from '@finder/platform/persister';
import { runRole, serveSubgraph, serveWorker, startInfra } from '@finder/platform/service';
import { entities } from './entities/index.ts';
import { loadChatEnv } from './env.ts';
import { chatEvents } from './events/chat-events.ts';
import { migrations } from './migrations/index.ts';
import { applyChatEvents } from './persister.ts';
import { buildChatServer } from './server.ts';

/** One entry point, one process per role: `node src/main.ts <server|persister|migrate>`. */
runRole('chat', ['server', 'persister', 'migrate'] as const, async (role) => {
  const env = loadChatEnv();
  const infra = await startInfra(env, { subgraph: 'chat', role, orm: { schema: 'chat', entities, migrations } });
  if (!infra) return;
  if (role === 'server') return serveSubgraph(env, infra, await buildChatServer(env, infra));
  const { kafka, orm, pubsub, producer, logger, registry } = infra;
  return serveWorker(
    env,
    infra,
    createPersister({
      name: 'chat-persister',
      kafka,
      groupId: 'chat-persister',
      catalog: chatEvents,
      orm,
      schema: 'chat',
      pubsub,
      producer,
      logger,
      registry,
      applyBulk: applyChatEvents,
    }),
  );
});
