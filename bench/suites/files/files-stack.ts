import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '@finder/testing/database';
import { startNginx } from '@finder/testing/nginx';
import { freePort } from '@finder/testing/ports';
import { startKafkaMock, startNode, waitForReady, type Service } from '@finder/testing/processes';
import { privateRedis } from '@finder/testing/redis';
import { ROOT_DIR, stackEnv, subgraphServerEnv } from '@finder/testing/stack';

const MAIN = 'subgraphs/files/src/main.ts';

/**
 * The files path, private to the benchmark: a database of its own (on the Postgres of `./dev up`),
 * its own Redis and Kafka-protocol broker, the files server, persister and worker, and nginx in
 * front of the server as in production. Storage is a folder under .state/, on the same disk as
 * the `cp` it is compared with. Nothing of the running stack's services is used or disturbed.
 */
export async function startFilesStack() {
  const stack = stackEnv();
  if (!stack.DATABASE_URL || !stack.KAFKA_MOCK_BIN) throw new Error('the files benchmark needs the Postgres and broker binary of `./dev up` (run it first)');
  const workDir = join(ROOT_DIR, '.state/bench-files');
  rmSync(workDir, { recursive: true, force: true });
  const storageDir = join(workDir, 'storage');
  mkdirSync(storageDir, { recursive: true });

  const database = await createTestDatabase(stack.DATABASE_URL, 'bench_files');
  const kafka = await startKafkaMock(stack.KAFKA_MOCK_BIN, ['files.events:4', 'files.events.dlq:1', 'chat.events:4', 'users.facts:4']);
  const redis = privateRedis(await freePort());
  await redis.start();
  const [serverPort, persisterPort, workerPort, nginxPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const publicUrl = `http://127.0.0.1:${nginxPort}`;
  const env: Record<string, string> = {
    ...stack,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    DATABASE_REPLICA_URLS: '',
    REDIS_URL: redis.url,
    KAFKA_BROKERS: kafka.brokers,
    FILES_STORAGE_DIR: storageDir,
    FILES_PUBLIC_URL: publicUrl,
    // A fresh random secret: production refuses placeholder-looking ones.
    FILES_URL_SECRET: randomBytes(32).toString('base64url'),
    ...subgraphServerEnv(stack, 'files'),
    FILES_USER_QUOTA_BYTES: String(4 * 1024 ** 3),
  };

  const services: Service[] = [];
  let nginx: { stop(): Promise<void> } | null = null;
  // Every step on its own: one that fails must not leave the others running.
  const stop = async () => {
    const steps = [
      () => Promise.all(services.map((s) => s.kill('SIGKILL'))),
      async () => nginx?.stop(),
      () => redis.stop(),
      () => kafka.stop(),
      () => database.drop(),
    ];
    for (const step of steps) await step().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const migrate = startNode(MAIN, ['migrate'], { ...env, PORT: '0' });
    const code = await new Promise<number | null>((resolve) => migrate.process.once('exit', resolve));
    if (code !== 0) throw new Error(`files migrate failed:\n${migrate.output.join('\n')}`);
    const start = async (role: string, port: number) => {
      const service = startNode(MAIN, [role], { ...env, PORT: String(port) });
      services.push(service);
      await waitForReady(`http://127.0.0.1:${port}/readyz`, 120_000, service);
      return service;
    };
    const [server, , worker] = await Promise.all([start('server', serverPort), start('persister', persisterPort), start('worker', workerPort)]);
    nginx = await startNginx(nginxPort, ['127.0.0.1:9'], `127.0.0.1:${serverPort}`);
    return {
      /** The files subgraph itself: the benchmark signs the identity a gateway would forward. */
      graphqlUrl: `http://127.0.0.1:${serverPort}/graphql`,
      identitySecret: env.IDENTITY_SECRET!,
      databaseUrl: database.url,
      workDir,
      storageDir,
      pids: { server: server.process.pid!, worker: worker.process.pid! },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type FilesStack = Awaited<ReturnType<typeof startFilesStack>>;
