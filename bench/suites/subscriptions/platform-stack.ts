import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { startNginx } from '@finder/testing/nginx';
import { freePort } from '@finder/testing/ports';
import { startNode, waitForReady, type Service } from '@finder/testing/processes';
import { privateRedis, privateRedisCluster } from '@finder/testing/redis';
import { LOAD_GENERATOR_LIMITS, ROOT_DIR, subgraphServerEnv } from '@finder/testing/stack';
import { parse } from 'graphql';
import type { BenchKeys } from './keys.ts';

const here = import.meta.dirname;
const PEOPLE_FIXTURE = 'gateway/test/fixtures/people-subgraph.ts';

/**
 * (b) The platform's full subscription path, private to the benchmark: its own Redis (one server,
 * or with `redis: 'cluster'` a Redis Cluster of three masters with a replica each, on sharded
 * pub/sub), the ticks subgraph, the people fixture subgraph (owner of User), gateways and nginx. Nothing of
 * `./dev up`'s stack is used or disturbed; only the redis-server and nginx binaries it installs
 * are needed.
 */
export async function startPlatformStack(options: { gateways: number; keys: BenchKeys; redis?: 'single' | 'cluster' }) {
  const { keys } = options;
  const supergraphPath = join(keys.dir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph());

  const redis = options.redis === 'cluster' ? await startCluster() : await startSingle();
  const base = { ...redis.env, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  const services: (Service & { port: number })[] = [];
  const start = async (script: string, env: Record<string, string>) => {
    const port = await freePort();
    const service = Object.assign(startNode(script, [], { ...base, ...env, PORT: String(port) }), { port });
    services.push(service);
    // Generous: the shared machine may be loaded by other work while the suite starts.
    await waitForReady(`http://127.0.0.1:${port}/readyz`, 120_000, service);
    return service;
  };

  const nginxHolder: { stop(): Promise<void> }[] = [];
  const stop = async () => {
    await Promise.all(nginxHolder.map((n) => n.stop()));
    await Promise.all(services.map((s) => s.kill('SIGKILL')));
    await redis.stop();
  };
  // Like ./dev: gateways sign identities with the secret, each subgraph verifies with its own key.
  const subgraphEnv = (name: string) => subgraphServerEnv({ IDENTITY_SECRET: keys.identitySecret }, name);
  try {
    const [ticks, people] = await Promise.all([start(join(here, 'ticks-subgraph.ts'), subgraphEnv('ticks')), start(PEOPLE_FIXTURE, subgraphEnv('people'))]);
    const gatewayEnv = {
      SUPERGRAPH_PATH: supergraphPath,
      IDENTITY_SECRET: keys.identitySecret,
      JWT_PUBLIC_KEY_FILE: keys.jwtPublicKeyFile,
      SUBGRAPH_TICKS_URL: `http://127.0.0.1:${ticks.port}/graphql`,
      SUBGRAPH_TICKS_WS_URLS: `ws://127.0.0.1:${ticks.port}/graphql`,
      SUBGRAPH_PEOPLE_URL: `http://127.0.0.1:${people.port}/graphql`,
      // Every benchmark client connects from 127.0.0.1; the per-address limits are for real clients.
      WS_CONNECT_RATE_PER_ADDRESS: '1000000',
      ...LOAD_GENERATOR_LIMITS,
      // 1,000 clients connect at once from one load generator; on a loaded machine a client may
      // get to send connection_init later than a real one would.
      WS_CONNECTION_INIT_TIMEOUT_MS: '30000',
    };
    const startGateway = () => start('gateway/src/index.ts', gatewayEnv);
    const gateways = await Promise.all(Array.from({ length: options.gateways }, startGateway));
    const nginx = await startNginx(await freePort(), gateways.map((g) => `127.0.0.1:${g.port}`));
    nginxHolder.push(nginx);
    return {
      wsUrl: `${nginx.url.replace('http', 'ws')}/graphql`,
      gateways,
      startGateway,
      /** REDIS_URL or REDIS_CLUSTER_NODES, for the publisher. */
      redisEnv: redis.env,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type PlatformStack = Awaited<ReturnType<typeof startPlatformStack>>;

function composeSupergraph(): string {
  const result = composeServices([
    { name: 'ticks', url: 'http://ticks.invalid/graphql', typeDefs: parse(readFileSync(join(here, 'ticks.graphql'), 'utf8')) },
    { name: 'people', url: 'http://people.invalid/graphql', typeDefs: parse(readFileSync(join(ROOT_DIR, 'gateway/test/fixtures/people.graphql'), 'utf8')) },
  ]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

async function startSingle() {
  const redis = privateRedis(await freePort());
  await redis.start();
  // The other setting emptied: the processes inherit the environment the suite runs in.
  return { env: { REDIS_URL: redis.url, REDIS_CLUSTER_NODES: '' } as Record<string, string>, stop: () => redis.stop() };
}

async function startCluster() {
  const cluster = await privateRedisCluster({ masters: 3, replicas: 1 });
  return { env: { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_URL: '' } as Record<string, string>, stop: () => cluster.stop() };
}
