import { createInterface } from 'node:readline';
import { createTestDatabase, query } from '@finder/testing/database';
import { startNginx } from '@finder/testing/nginx';
import { freePort } from '@finder/testing/ports';
import { startNode, waitForReady, type Service } from '@finder/testing/processes';
import { LOAD_GENERATOR_LIMITS, stackEnv, subgraphServerEnv } from '@finder/testing/stack';
import type { Progress } from '../../lib/progress.ts';

const FINDER = 'subgraphs/finder/src/main.ts';

export interface SeedSummary {
  professionals: number;
  businesses: number;
  seconds: number;
  postings: number;
  tableMb: number;
  postingsMb: number;
}

/**
 * What the search benchmark runs against: a throwaway database on the running stack's Postgres,
 * migrated and seeded by the finder's own commands (`seed --direct`: the persister's bulk upsert,
 * postings included, without Kafka), one finder subgraph, one gateway and nginx in front of it.
 * Redis, the broker, the keys and secrets are the stack's (`./dev up`); none of its
 * data or processes are touched.
 */
export async function startSearchStack(options: { professionals: number; businesses: number; progress: Progress }) {
  const env = stackEnv();
  const db = await createTestDatabase(env.DATABASE_URL!, 'bench_search');
  const services: Service[] = [];
  const nginxHolder: { stop(): Promise<void> }[] = [];
  const stop = async () => {
    await Promise.all(nginxHolder.map((n) => n.stop()));
    await Promise.all(services.map((s) => s.kill('SIGKILL')));
    await db.drop();
  };
  const base = {
    DATABASE_URL: db.url,
    REDIS_URL: env.REDIS_URL!,
    KAFKA_BROKERS: env.KAFKA_BROKERS!,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  };
  const start = async (script: string, args: string[], extra: Record<string, string>) => {
    const port = await freePort();
    const service = startNode(script, args, { ...base, ...extra, PORT: String(port) });
    services.push(service);
    await waitForReady(`http://127.0.0.1:${port}/readyz`, 60_000, service);
    return { ...service, url: `http://127.0.0.1:${port}/graphql` };
  };
  try {
    await runToEnd([FINDER, 'migrate'], { ...base, PORT: '0' });
    options.progress(`seeding ${options.professionals} professionals and ${options.businesses} businesses`);
    const seedArgs = [FINDER, 'seed', '--direct', '--professionals', String(options.professionals), '--businesses', String(options.businesses)];
    const seedOutput = await runToEnd(seedArgs, { ...base, PORT: '0' }, options.progress);
    const seconds = Number(/^finder seed: .* in ([\d.]+) s$/m.exec(seedOutput)?.[1] ?? Number.NaN);
    const [sizes] = await query<{ postings: string; table_mb: number; postings_mb: number }>(
      db.url,
      `select (select count(*) from finder.search_postings) as postings,
              round(pg_total_relation_size('finder.professional_profiles') / 1048576.0) as table_mb,
              round(pg_total_relation_size('finder.search_postings') / 1048576.0) as postings_mb`,
    );
    const seed: SeedSummary = {
      professionals: options.professionals,
      businesses: options.businesses,
      seconds,
      postings: Number(sizes!.postings),
      tableMb: Number(sizes!.table_mb),
      postingsMb: Number(sizes!.postings_mb),
    };

    options.progress('starting the finder subgraph, a gateway and nginx');
    const finder = await start(FINDER, ['server'], { ...subgraphServerEnv(env, 'finder'), FINDER_CURSOR_SECRET: env.FINDER_CURSOR_SECRET! });
    const subgraphUrls = Object.fromEntries(Object.entries(env).filter(([key]) => /^SUBGRAPH_[A-Z]+_URL$/.test(key)));
    const gateway = await start('gateway/src/index.ts', [], {
      // Every search comes from one load generator on 127.0.0.1.
      ...LOAD_GENERATOR_LIMITS,
      ...subgraphUrls,
      SUBGRAPH_FINDER_URL: finder.url,
      JWT_PUBLIC_KEY_FILE: env.JWT_PUBLIC_KEY_FILE!,
      IDENTITY_SECRET: env.IDENTITY_SECRET!,
    });
    const nginx = await startNginx(await freePort(), [new URL(gateway.url).host]);
    nginxHolder.push(nginx);
    return {
      seed,
      databaseUrl: db.url,
      targets: { subgraph: finder.url, gateway: gateway.url, nginx: `${nginx.url}/graphql` },
      identitySecret: env.IDENTITY_SECRET!,
      jwtPrivateKeyFile: env.JWT_PRIVATE_KEY_FILE!,
      pids: { finder: finder.process.pid!, gateway: gateway.process.pid! },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type SearchStack = Awaited<ReturnType<typeof startSearchStack>>;

/** Runs a command to completion; the seed's progress lines are passed on as they come. */
async function runToEnd(args: string[], env: Record<string, string>, progress?: Progress): Promise<string> {
  const [script, ...rest] = args;
  const run = startNode(script!, rest, env);
  const lines: string[] = [];
  for (const stream of [run.process.stdout!, run.process.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (progress && line.startsWith('finder seed:')) progress(line.replace(/^finder seed: /, 'seed: '));
    });
  }
  const code = await new Promise<number | null>((resolve) => run.process.once('exit', resolve));
  if (code !== 0) throw new Error(`${args.join(' ')} failed (${code}):\n${run.output.slice(-30).join('\n')}`);
  return lines.join('\n');
}
