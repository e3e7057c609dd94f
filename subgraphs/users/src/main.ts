import { createConsumer } from '@finder/platform/kafka';
import { createPersister } from '@finder/platform/write';
import { loadSecrets } from '@finder/platform/config';
import { runRole, serveSubgraph, serveWorker, startInfra } from '@finder/platform/server';
import { loadUsersEnv, USERS_SECRETS } from './env.ts';
import { usersEvents } from './events/users-events.ts';
import { createMailHandler, createMailSender } from './workers/mailer.ts';
import { migrations } from './migrations/index.ts';
import { applyUsersEvent } from './persister.ts';
import { buildUsersServer } from './server.ts';

/** One entry point, one process per role: `node src/main.ts <server|persister|mailer|migrate>`. */
runRole('users', ['server', 'persister', 'mailer', 'migrate'] as const, async (role) => {
  const env = loadUsersEnv();
  const serverSecrets = role === 'server' ? loadSecrets(USERS_SECRETS.server) : undefined;
  const mailerSecrets = role === 'mailer' ? loadSecrets(USERS_SECRETS.mailer) : undefined;
  const infra = await startInfra(env, { subgraph: 'users', role, orm: { schema: 'users', migrations } });
  if (!infra) return;
  const { logger, registry, orm, pubsub, kafka, producer, fetchWait } = infra;

  if (serverSecrets) return serveSubgraph(env, infra, await buildUsersServer({ ...env, ...serverSecrets }, infra));
  if (role === 'persister') {
    return serveWorker(
      env,
      infra,
      createPersister({
        name: 'users-persister',
        kafka,
        groupId: 'users-persister',
        catalog: usersEvents,
        orm,
        schema: 'users',
        pubsub,
        producer,
        logger,
        registry,
        fetchWait,
        apply: applyUsersEvent,
        // Facts for the other subgraphs (packages/platform/src/contracts/users-facts.ts) leave through the outbox.
        outbox: {},
      }),
    );
  }
  return serveWorker(
    env,
    infra,
    createConsumer({
      name: 'users-mailer',
      kafka,
      groupId: 'users-mailer',
      catalog: usersEvents,
      producer,
      logger,
      registry,
      fetchWait,
      handle: createMailHandler({
        em: orm.em,
        sender: createMailSender({ smtpUrl: env.SMTP_URL, mailDir: env.MAIL_DIR, from: env.MAIL_FROM, logger }),
        appUrl: env.APP_URL,
        linkSecret: mailerSecrets!.USERS_TOKEN_SECRET,
      }),
    }),
  );
});
