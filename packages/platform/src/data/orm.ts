import { MikroORM } from '@mikro-orm/postgresql';
import { Migration, Migrator } from '@mikro-orm/migrations';
import type { Logger } from '../config/logger.ts';
import { prepareParameterizedStatements } from './prepared-statements.ts';

export { Migration };

export interface OrmConfig {
  url: string;
  replicaUrls?: string[];
  /** The subgraph's own Postgres schema; no subgraph reads another's tables. */
  schema: string;
  migrations: { name: string; class: new (...args: never[]) => Migration }[];
  poolMax?: number;
  logger: Logger;
}

/**
 * MikroORM on Postgres with optional read replicas, for its connections, transactions and
 * migrations. Subgraphs declare no entities: they read and write with plain SQL and row types
 * (`query()` in sql.ts), because hydrating entities cost more than the queries on hot paths. Reads
 * go to a replica only where a caller asks for it; anything that must see its own writes uses the
 * primary (the default here).
 */
/** How long an idle pooled connection stays open. */
const POOL_IDLE_TIMEOUT_MS = 5 * 60_000;

export async function createOrm(config: OrmConfig): Promise<MikroORM> {
  const log = config.logger.child({ component: 'orm' });
  const orm = await MikroORM.init({
    clientUrl: config.url,
    schema: config.schema,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    replicas: (config.replicaUrls ?? []).map((clientUrl, i) => ({ name: `replica-${i + 1}`, clientUrl })),
    preferReadReplicas: false,
    // An idle connection is kept for minutes, not pg's 10 s: processes that touch Postgres every
    // 15–30 s at rest (readiness on each scrape, pollers) otherwise open a new connection each
    // time, a backend fork and a SCRAM login of ~70 ms of Postgres CPU, about 1% of a core in all.
    pool: { min: 0, max: config.poolMax ?? 10, idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS },
    driverOptions: { onPoolCreated: prepareParameterizedStatements },
    extensions: [Migrator],
    migrations: {
      // In the subgraph's own schema, which its role owns (infra/postgres/service-role.sql); the
      // migrator creates the schema when it is missing.
      tableName: `${config.schema}_migrations`,
      schema: config.schema,
      migrationsList: config.migrations as never,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    allowGlobalContext: false,
    debug: false,
    logger: (message) => log.debug(message),
  });
  return orm;
}

export async function runMigrations(orm: MikroORM, logger: Logger): Promise<string[]> {
  const applied = await orm.migrator.up();
  const names = applied.map((m) => m.name);
  logger.info({ applied: names }, names.length ? 'migrations applied' : 'schema up to date');
  return names;
}

export async function databaseReady(orm: MikroORM): Promise<boolean> {
  try {
    await orm.em.fork().execute('select 1');
    return true;
  } catch {
    return false;
  }
}
