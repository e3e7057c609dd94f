import { createConsumer } from '@finder/platform/consumer';
import { registerShutdown, createHttpServer } from '@finder/platform/http';
import { createEventProducer, createKafka } from '@finder/platform/kafka';
import { createLogger } from '@finder/platform/logger';
import { createRegistry } from '@finder/platform/metrics';
import { createOrm, databaseReady, runMigrations } from '@finder/platform/orm';
import { createPersister, type Worker } from '@finder/platform/persister';
import { createPubSub } from '@finder/platform/pubsub';
import { entities } from './entities/index.ts';
import { loadUsersEnv } from './env.ts';
import { usersEvents } from './events/users-events.ts';
import { createMailHandler, createMailSender } from './mailer.ts';
import { migrations } from './migrations/index.ts';
import { applyUsersEvent } from './persister.ts';
import { buildUsersServer } from './server.ts';

const ROLES = ['server', 'persister', 'mailer', 'migrate'] as const;
type Role = (typeof ROLES)[number];

/** One entry point, one process per role: `node src/main.ts <server|persister|mailer|migrate>`. */
async function main(role: Role) {
  const env = loadUsersEnv();
  const logger = createLogger(role === 'server' ? 'users' : `users-${role}`, env.LOG_LEVEL);
  const registry = createRegistry(`users-${role}`);
  const orm = await createOrm({
    url: env.DATABASE_URL,
    replicaUrls: env.DATABASE_REPLICA_URLS,
    schema: 'users',
    entities,
    migrations,
    poolMax: env.DATABASE_POOL_MAX,
    logger,
  });

  if (role === 'migrate') {
    await runMigrations(orm, logger);
    await orm.close();
    return;
  }

  const pubsub = createPubSub({ url: env.REDIS_URL, logger });
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: env.KAFKA_CLIENT_ID ?? `users-${role}`, logger });
  const producer = createEventProducer(kafka, { idempotent: env.KAFKA_IDEMPOTENT });
  await producer.connect();

  const closeInfra = [
    { name: 'kafka producer', run: () => producer.disconnect() },
    { name: 'redis', run: () => pubsub.close() },
    { name: 'postgres', run: () => orm.close() },
  ];

  if (role === 'server') {
    const server = await buildUsersServer({ env, orm, pubsub, producer, logger, registry });
    const port = await server.start(env.PORT, env.HOST);
    logger.info({ port }, 'users subgraph listening');
    registerShutdown(logger, env.SHUTDOWN_GRACE_MS, [{ name: 'http', run: () => server.stop() }, ...closeInfra]);
    return;
  }

  const worker: Worker =
    role === 'persister'
      ? createPersister({
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
          apply: applyUsersEvent,
        })
      : createConsumer({
          name: 'users-mailer',
          kafka,
          groupId: 'users-mailer',
          catalog: usersEvents,
          producer,
          logger,
          registry,
          handle: createMailHandler({
            em: orm.em,
            sender: createMailSender({ smtpUrl: env.SMTP_URL, mailDir: env.MAIL_DIR, from: env.MAIL_FROM, logger }),
            appUrl: env.APP_URL,
            linkSecret: env.usersTokenSecret,
          }),
        });
  const http = createHttpServer({
    logger,
    registry,
    readiness: async () => ({
      consumer: (({ ready, detail }) => ({ ok: ready, detail }))(worker.readiness()),
      postgres: { ok: await databaseReady(orm) },
      redis: { ok: pubsub.ready() },
    }),
  });
  await http.listen(env.PORT, env.HOST);
  await worker.start();
  registerShutdown(logger, env.SHUTDOWN_GRACE_MS, [
    { name: 'readiness', run: () => http.drain() },
    { name: 'consumer', run: () => worker.stop() },
    { name: 'http', run: () => http.close() },
    ...closeInfra,
  ]);
}

const role = process.argv[2] as Role;
if (!ROLES.includes(role)) {
  process.stderr.write(`usage: node subgraphs/users/src/main.ts <${ROLES.join('|')}>\n`);
  process.exit(2);
}
main(role).catch((err) => {
  process.stderr.write(`users ${role} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
