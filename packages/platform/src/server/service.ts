import type { MikroORM } from '@mikro-orm/postgresql';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { FetchWait } from '../kafka/group-consumer.ts';
import { createHttpServer, registerShutdown, type ShutdownStep } from './http.ts';
import { createEventProducer, createKafka, type EventProducer } from '../kafka/producer.ts';
import { createLogger, type Logger } from '../config/logger.ts';
import { createRegistry } from '../config/metrics.ts';
import { createOrm, databaseReady, runMigrations, type OrmConfig } from '../data/orm.ts';
import type { Worker } from '../kafka/worker.ts';
import { startTracing } from '../telemetry/tracing.ts';
import { createPubSub, type PubSub } from '../realtime/pubsub.ts';
import type { ClusterSeed } from '../config/env.ts';
import { redisTarget } from '../config/redis.ts';
import type { BaseContext } from '@apollo/server';
import { createSubgraphServer, type SubgraphServer, type SubgraphServerOptions } from './subgraph.ts';

/** What every subgraph process needs, from the env groups of env.ts. */
export interface ServiceEnv {
  NODE_ENV: string;
  LOG_LEVEL: string;
  HOST: string;
  PORT: number;
  SHUTDOWN_GRACE_MS: number;
  DATABASE_URL: string;
  DATABASE_REPLICA_URLS: string[];
  DATABASE_POOL_MAX: number;
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES?: ClusterSeed[] | undefined;
  KAFKA_BROKERS: string[];
  KAFKA_CLIENT_ID?: string | undefined;
  KAFKA_IDEMPOTENT: boolean;
  KAFKA_PERSISTER_FETCH_WAIT_MS: number;
  KAFKA_CONSUMER_FETCH_WAIT_MS: number;
}

export interface Infra {
  logger: Logger;
  registry: Registry;
  orm: MikroORM;
  pubsub: PubSub;
  kafka: Kafka;
  producer: EventProducer;
  /** How long persisters' and other consumers' fetches wait at the broker (KAFKA_*_FETCH_WAIT_MS). */
  fetchWait: FetchWait;
  /** Closes producer, Redis and Postgres, in that order. */
  closeSteps: ShutdownStep[];
}

/**
 * One process of a subgraph: `<subgraph>-<role>`. `migrate` runs the migrations and returns null;
 * every other role gets connected infrastructure.
 */
export async function startInfra(
  env: ServiceEnv,
  options: { subgraph: string; role: string; orm: Omit<OrmConfig, 'url' | 'replicaUrls' | 'poolMax' | 'logger'> },
): Promise<Infra | null> {
  const name = options.role === 'server' ? options.subgraph : `${options.subgraph}-${options.role}`;
  // A bad or missing Redis setting stops the process before it connects to anything.
  const redis = redisTarget(env);
  const flushTraces = options.role === 'migrate' ? null : startTracing(name);
  const logger = createLogger(name, env.LOG_LEVEL);
  const orm = await createOrm({
    ...options.orm,
    url: env.DATABASE_URL,
    replicaUrls: env.DATABASE_REPLICA_URLS,
    poolMax: env.DATABASE_POOL_MAX,
    logger,
  });
  if (options.role === 'migrate') {
    await runMigrations(orm, logger);
    await orm.close();
    return null;
  }
  const pubsub = createPubSub({ redis, logger });
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: env.KAFKA_CLIENT_ID ?? name, logger });
  const producer = createEventProducer(kafka, { idempotent: env.KAFKA_IDEMPOTENT });
  await producer.connect();
  return {
    logger,
    registry: createRegistry(name),
    orm,
    pubsub,
    kafka,
    producer,
    fetchWait: { persisterMs: env.KAFKA_PERSISTER_FETCH_WAIT_MS, consumerMs: env.KAFKA_CONSUMER_FETCH_WAIT_MS },
    closeSteps: [
      { name: 'kafka producer', run: () => producer.disconnect() },
      { name: 'redis', run: () => pubsub.close() },
      { name: 'postgres', run: () => orm.close() },
      { name: 'traces', run: () => flushTraces?.() ?? Promise.resolve() },
    ],
  };
}

/** Serves a subgraph until SIGTERM: stop answering, close sockets, then the infrastructure. */
export async function serveSubgraph(env: ServiceEnv, infra: Infra, server: SubgraphServer): Promise<void> {
  const port = await server.start(env.PORT, env.HOST);
  infra.logger.info({ port }, 'subgraph listening');
  registerShutdown(infra.logger, env.SHUTDOWN_GRACE_MS, [{ name: 'http', run: () => server.stop() }, ...infra.closeSteps]);
}

/** Several consumers in one process: ready when all are, started and stopped together. */
export function allOf(workers: Worker[]): Worker {
  return {
    start: async () => void (await Promise.all(workers.map((w) => w.start()))),
    stop: async () => void (await Promise.all(workers.map((w) => w.stop()))),
    readiness() {
      const states = workers.map((w) => w.readiness());
      return { ready: states.every((s) => s.ready), detail: states.map((s) => s.detail).join('; ') };
    },
  };
}

/** Runs a consumer (persister, mailer...) with /healthz, /readyz and /metrics until SIGTERM. */
export async function serveWorker(env: ServiceEnv, infra: Infra, worker: Worker): Promise<void> {
  const { logger, registry, orm, pubsub } = infra;
  const http = createHttpServer({
    logger,
    registry,
    readiness: async () => {
      const { ready, detail } = worker.readiness();
      return { consumer: { ok: ready, detail }, postgres: { ok: await databaseReady(orm) }, redis: { ok: pubsub.ready() } };
    },
  });
  await http.listen(env.PORT, env.HOST);
  await worker.start();
  registerShutdown(logger, env.SHUTDOWN_GRACE_MS, [
    { name: 'readiness', run: () => http.drain() },
    { name: 'consumer', run: () => worker.stop() },
    { name: 'http', run: () => http.close() },
    ...infra.closeSteps,
  ]);
}

/** Dispatches `node src/main.ts <role>`; a bad role or a failed start exits non-zero with the reason. */
export function runRole<R extends string>(subgraph: string, roles: readonly R[], run: (role: R) => Promise<void>): void {
  const role = process.argv[2] as R;
  if (!roles.includes(role)) {
    process.stderr.write(`usage: node subgraphs/${subgraph}/src/main.ts <${roles.join('|')}>\n`);
    process.exit(2);
  }
  run(role).catch((err: unknown) => {
    process.stderr.write(`${subgraph} ${role} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

/** A subgraph server is ready when Postgres, Redis and the Kafka producer are. */
export function subgraphReadiness({ orm, pubsub, producer }: Pick<Infra, 'orm' | 'pubsub' | 'producer'>) {
  return async () => ({
    postgres: { ok: await databaseReady(orm) },
    redis: { ok: pubsub.ready() },
    kafka: { ok: producer.connected },
  });
}

/** The settings every subgraph server reads (see subgraphEnv in env.ts). */
export interface SubgraphServerEnv {
  NODE_ENV: string;
  MAX_BODY_BYTES: number;
  COMPILED_EXECUTION: boolean;
  /** This subgraph's own identity key (subgraphIdentitySecret in identity.ts): it verifies, and signs for no other subgraph. */
  SUBGRAPH_IDENTITY_SECRET: string;
}

/** A subgraph server wired to its process's infrastructure, readiness and settings. */
export function subgraphServer<TContext extends BaseContext>(
  env: SubgraphServerEnv,
  infra: Pick<Infra, 'orm' | 'pubsub' | 'producer' | 'logger' | 'registry'>,
  options: Pick<SubgraphServerOptions<TContext>, 'name' | 'typeDefs' | 'resolvers' | 'context' | 'routes'>,
): Promise<SubgraphServer> {
  return createSubgraphServer({
    ...options,
    subgraphIdentitySecret: env.SUBGRAPH_IDENTITY_SECRET,
    logger: infra.logger,
    registry: infra.registry,
    maxBodyBytes: env.MAX_BODY_BYTES,
    compiledExecution: env.COMPILED_EXECUTION,
    production: env.NODE_ENV === 'production',
    readiness: subgraphReadiness(infra),
  });
}
