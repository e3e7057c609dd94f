import { parseArgs } from 'node:util';
import { registerShutdown, createHttpServer } from '@finder/platform/http';
import { createEventProducer, createKafka } from '@finder/platform/kafka';
import { createLogger } from '@finder/platform/logger';
import { createRegistry } from '@finder/platform/metrics';
import { createOrm, databaseReady, runMigrations } from '@finder/platform/orm';
import { createPersister } from '@finder/platform/persister';
import { createPubSub } from '@finder/platform/pubsub';
import { entities } from './entities/index.ts';
import { loadFinderEnv } from './env.ts';
import { finderEvents } from './events/finder-events.ts';
import { migrations } from './migrations/index.ts';
import { applyFinderEvent } from './persister.ts';
import { runSeed } from './seed/seed.ts';
import { buildFinderServer } from './server.ts';

const ROLES = ['server', 'persister', 'migrate', 'seed'] as const;
type Role = (typeof ROLES)[number];

const USAGE = `usage: node subgraphs/finder/src/main.ts <${ROLES.join('|')}>
  seed [--professionals N] [--businesses N] [--seed N] [--direct] [--no-users] [--batch N]
       events (default): accounts and profiles through Kafka and the persisters
       --direct: profiles straight into Postgres, user ids only (benchmark data)\n`;

/** One entry point, one process per role: `node src/main.ts <server|persister|migrate|seed>`. */
async function main(role: Role, argv: string[]) {
  const env = loadFinderEnv();
  const logger = createLogger(role === 'server' ? 'finder' : `finder-${role}`, env.LOG_LEVEL);
  const registry = createRegistry(`finder-${role}`);
  const orm = await createOrm({
    url: env.DATABASE_URL,
    replicaUrls: env.DATABASE_REPLICA_URLS,
    schema: 'finder',
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

  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: env.KAFKA_CLIENT_ID ?? `finder-${role}`, logger });
  const producer = createEventProducer(kafka, { idempotent: env.KAFKA_IDEMPOTENT });
  await producer.connect();

  if (role === 'seed') {
    const { values } = parseArgs({
      args: argv,
      options: {
        professionals: { type: 'string', default: '300' },
        businesses: { type: 'string', default: '30' },
        seed: { type: 'string', default: '1' },
        batch: { type: 'string', default: '1000' },
        direct: { type: 'boolean', default: false },
        'no-users': { type: 'boolean', default: false },
      },
    });
    const count = (name: string, v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${v}`);
      return n;
    };
    try {
      const report = await runSeed(
        { orm, producer, redisUrl: env.REDIS_URL, logger },
        {
          professionals: count('professionals', values.professionals),
          businesses: count('businesses', values.businesses),
          seed: count('seed', values.seed),
          batchSize: Math.max(1, count('batch', values.batch)),
          mode: values.direct ? 'direct' : 'events',
          users: !values.direct && !values['no-users'],
        },
      );
      process.stdout.write(
        `finder seed: ${report.professionals} professionals, ${report.businesses} businesses` +
          `${report.events ? `, ${report.events} events` : ' (direct)'} in ${report.seconds.toFixed(1)} s` +
          `${report.rejected ? `; ${report.rejected} rejected` : ''}\n`,
      );
      if (report.rejected) process.exitCode = 1;
    } finally {
      await producer.disconnect();
      await orm.close();
    }
    return;
  }

  const pubsub = createPubSub({ url: env.REDIS_URL, logger });
  const closeInfra = [
    { name: 'kafka producer', run: () => producer.disconnect() },
    { name: 'redis', run: () => pubsub.close() },
    { name: 'postgres', run: () => orm.close() },
  ];

  if (role === 'server') {
    const server = await buildFinderServer({ env, orm, pubsub, producer, logger, registry });
    const port = await server.start(env.PORT, env.HOST);
    logger.info({ port }, 'finder subgraph listening');
    registerShutdown(logger, env.SHUTDOWN_GRACE_MS, [{ name: 'http', run: () => server.stop() }, ...closeInfra]);
    return;
  }

  // Profiles, engagements, reviews and the notifications they cause: one writer, one transaction.
  const worker = createPersister({
    name: 'finder-persister',
    kafka,
    groupId: 'finder-persister',
    catalog: finderEvents,
    orm,
    schema: 'finder',
    pubsub,
    producer,
    logger,
    registry,
    apply: applyFinderEvent,
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
  process.stderr.write(USAGE);
  process.exit(2);
}
main(role, process.argv.slice(3)).catch((err) => {
  process.stderr.write(`finder ${role} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
