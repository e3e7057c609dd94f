import { createConsumer } from '@finder/platform/kafka';
import { filesFacts, finderFacts } from '@finder/platform/contracts';
import { createPersister } from '@finder/platform/write';
import { loadSecrets } from '@finder/platform/config';
import { allOf, runRole, serveSubgraph, serveWorker, startInfra } from '@finder/platform/server';
import { CHAT_SERVER_SECRETS, loadChatEnv } from './env.ts';
import { chatEvents } from './events/chat-events.ts';
import { migrations } from './migrations/index.ts';
import { createChatApplier } from './persister.ts';
import { createWatching } from './services/watching.ts';
import { buildChatServer } from './server.ts';
import { createEngagementConversationsHandler } from './workers/engagement-conversations.ts';
import { createFileProjectorHandler } from './workers/file-projector.ts';

/**
 * One entry point, one process per role: `node src/main.ts <server|persister|migrate>`. The
 * persister process also runs the consumers of other subgraphs' facts: one opens the conversation
 * of every accepted engagement (finder.facts → conversation.started on chat.events), one projects
 * READY and deleted files (files.facts → chat.files) for the attachment checks.
 */
runRole('chat', ['server', 'persister', 'migrate'] as const, async (role) => {
  const env = loadChatEnv();
  const serverSecrets = role === 'server' ? loadSecrets(CHAT_SERVER_SECRETS) : undefined;
  const infra = await startInfra(env, { subgraph: 'chat', role, orm: { schema: 'chat', migrations } });
  if (!infra) return;
  if (serverSecrets) return serveSubgraph(env, infra, await buildChatServer({ ...env, ...serverSecrets }, infra));
  const { kafka, orm, pubsub, producer, logger, registry, fetchWait } = infra;
  const common = { kafka, producer, logger, registry, fetchWait };
  return serveWorker(
    env,
    infra,
    allOf([
      createPersister({
        ...common,
        name: 'chat-persister',
        groupId: 'chat-persister',
        catalog: chatEvents,
        orm,
        schema: 'chat',
        pubsub,
        applyBulk: createChatApplier({ watching: createWatching(pubsub.redis, logger) }),
        // `message.missed` facts for finder's notifications leave through the outbox.
        outbox: {},
      }),
      createConsumer({
        ...common,
        name: 'chat-engagement-conversations',
        groupId: 'chat-engagement-conversations',
        catalog: finderFacts,
        handle: createEngagementConversationsHandler({ producer }),
      }),
      createConsumer({ ...common, name: 'chat-file-projector', groupId: 'chat-file-projector', catalog: filesFacts, handle: createFileProjectorHandler({ em: orm.em }) }),
    ]),
  );
});
