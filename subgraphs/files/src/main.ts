import { createConsumer } from '@finder/platform/kafka';
import { chatFacts, usersFacts } from '@finder/platform/contracts';
import { createPersister, createWriter } from '@finder/platform/write';
import { loadSecrets } from '@finder/platform/config';
import { allOf, runRole, serveSubgraph, serveWorker, startInfra } from '@finder/platform/server';
import { FILES_SERVER_SECRETS, loadFilesEnv } from './env.ts';
import { filesEvents } from './events/files-events.ts';
import { migrations } from './migrations/index.ts';
import { applyFilesEvent } from './persister.ts';
import { buildFilesServer } from './server.ts';
import { createStorage } from './services/storage.ts';
import { createAvatarProjectorHandler } from './workers/avatar-projector.ts';
import { createChatProjectorHandler } from './workers/chat-projector.ts';
import { createConverterHandler } from './workers/converter.ts';
import { createJanitorHandler } from './workers/janitor.ts';

/**
 * One entry point, one process per role: `node src/main.ts <server|persister|worker|migrate>`.
 * The worker runs the converter, the janitor (removes the bytes of deleted files), the chat
 * projector (conversation participants and shared files, from chat.facts) and the avatar
 * projector (which file is whose avatar, from users.facts).
 */
runRole('files', ['server', 'persister', 'worker', 'migrate'] as const, async (role) => {
  const env = loadFilesEnv();
  const serverSecrets = role === 'server' ? loadSecrets(FILES_SERVER_SECRETS) : undefined;
  const infra = await startInfra(env, { subgraph: 'files', role, orm: { schema: 'files', migrations } });
  if (!infra) return;
  if (serverSecrets) return serveSubgraph(env, infra, await buildFilesServer({ ...env, ...serverSecrets }, infra));
  const { kafka, orm, pubsub, producer, logger, registry, fetchWait } = infra;
  if (role === 'persister') {
    return serveWorker(
      env,
      infra,
      createPersister({
        name: 'files-persister',
        kafka,
        groupId: 'files-persister',
        catalog: filesEvents,
        orm,
        schema: 'files',
        pubsub,
        producer,
        logger,
        registry,
        fetchWait,
        apply: applyFilesEvent,
        // Facts for the other subgraphs (packages/platform/src/contracts/files-facts.ts) leave through the outbox.
        outbox: {},
      }),
    );
  }
  const storage = createStorage(env);
  const writer = createWriter({ producer, pubsub, timeoutMs: env.WRITE_TIMEOUT_MS, logger, registry });
  const common = { kafka, producer, logger, registry, fetchWait };
  return serveWorker(
    env,
    infra,
    allOf([
      createConsumer({
        ...common,
        name: 'files-converter',
        groupId: 'files-converter',
        catalog: filesEvents,
        handle: createConverterHandler({ em: orm.em, storage, writer, logger, delayMs: env.FILES_CONVERTER_DELAY_MS }),
      }),
      createConsumer({ ...common, name: 'files-janitor', groupId: 'files-janitor', catalog: filesEvents, handle: createJanitorHandler({ storage, logger }) }),
      createConsumer({ ...common, name: 'files-chat-projector', groupId: 'files-chat-projector', catalog: chatFacts, handle: createChatProjectorHandler({ em: orm.em }) }),
      createConsumer({ ...common, name: 'files-avatar-projector', groupId: 'files-avatar-projector', catalog: usersFacts, handle: createAvatarProjectorHandler({ em: orm.em }) }),
    ]),
  );
});
