import { join } from 'node:path';
import { freePort } from '@finder/testing/ports';
import { until, waitForReady } from '@finder/testing/processes';
import { metric } from '../../../gateway/test/fixtures/federation.ts';
import { cleanUp, onCleanup } from '../../lib/cleanup.ts';
import type { Progress } from '../../lib/progress.ts';
import type { SuiteReport } from '../../lib/report.ts';
import { forkWorker, type Worker } from '../../lib/worker.ts';
import { measureIdleMemory, type IdleMemory } from './idle-memory.ts';
import type { ConnectPlan } from './load-generator.ts';
import { createBenchKeys, type BenchKeys } from './keys.ts';
import { startPlatformStack } from './platform-stack.ts';
import { runRamp, subscribersPerTopic, type RampSettings, type Scenario } from './ramp.ts';
import { TICK_PER_VIEWER, TICK_PER_VIEWER_LOCAL, TICK_WITH_AUTHOR } from './ticks.ts';
import { renderTables } from './tables.ts';
import type { RunResult, Variant } from './runs.ts';

const here = import.meta.dirname;
const LOAD_GENERATOR = join(here, 'load-generator.ts');

const REFERENCE: Variant = { system: 'a', label: '(a) graphql-ws, in-process pub/sub', query: TICK_WITH_AUTHOR, users: 'distinct' };
const PLATFORM: Variant[] = [
  { system: 'b', label: '(b) platform, distinct users, shared stream, with entity fetch', query: TICK_WITH_AUTHOR, users: 'distinct' },
  { system: 'b', label: '(b) platform, distinct users, per-viewer streams, with entity fetch', query: TICK_PER_VIEWER, users: 'distinct' },
  { system: 'b', label: '(b) platform, one shared user, with entity fetch', query: TICK_WITH_AUTHOR, users: 'shared' },
  { system: 'b', label: '(b) platform, distinct users, per-viewer streams, no entity fetch', query: TICK_PER_VIEWER_LOCAL, users: 'distinct' },
];
/** The first (b) row again, with Redis a cluster of three masters (sharded pub/sub) instead of one server. */
const ON_CLUSTER: Variant = { ...PLATFORM[0]!, label: '(b) platform on a Redis Cluster (3 shards), distinct users, shared stream, with entity fetch', redis: 'cluster' };

/** Idle connections with distinct users: on one stream per topic shared by viewers, and on one stream per viewer. */
const IDLE_VARIANTS: [string, Variant][] = [
  ['shared streams', PLATFORM[0]!],
  ['per-viewer streams', PLATFORM[1]!],
];

function settings(quick: boolean, clusterOnly: boolean): { scenarios: Scenario[]; ramp: RampSettings; idleConnections: number; settleMs: number; variants: Variant[] } {
  const clients = quick ? 100 : 1_000;
  const steps = quick ? [1_000, 2_000] : Array.from({ length: 14 }, (_, i) => Math.round(2_000 * 1.5 ** i));
  return {
    scenarios: [
      { label: `1 topic × ${clients.toLocaleString('en')} subscribers`, connections: clients, subscriptionsPerConnection: 1, topics: 1 },
      { label: `${clients.toLocaleString('en')} topics × 10 subscribers`, connections: clients, subscriptionsPerConnection: 10, topics: clients },
    ],
    ramp: {
      steps,
      // Long enough that a p99 rests on more than the one slowest event: at 1 topic × 1,000 a step
      // holds 100–300 events (3 s steps held 30–90, and one late event decided the verdict).
      stepMs: quick ? 1_000 : 10_000,
      warmupMs: quick ? 300 : 3_000,
      minDeliveredShare: 0.99,
      p99LimitMs: 100,
      saturatedBelow: quick ? 0 : 0.8,
      refineSteps: quick ? 0 : 3,
    },
    idleConnections: quick ? 200 : 10_000,
    settleMs: quick ? 500 : 3_000,
    // Quick runs take the cheapest (b) variant: they check the harness, they measure nothing.
    // `--cluster`: the cluster row beside the same row on one Redis, nothing else.
    variants: clusterOnly ? [PLATFORM[0]!, ON_CLUSTER] : quick ? [REFERENCE, PLATFORM[0]!, ON_CLUSTER] : [REFERENCE, ...PLATFORM, ON_CLUSTER],
  };
}

export async function runSubscriptionsSuite({ quick, progress, cluster = false }: { quick: boolean; progress: Progress; cluster?: boolean }): Promise<SuiteReport> {
  const config = settings(quick, cluster);
  const runs: RunResult[] = [];
  const memory: { label: string; result: IdleMemory }[] = [];
  const keys = createBenchKeys();
  onCleanup(keys.remove);
  try {
    if (config.variants.includes(REFERENCE)) {
      progress('starting (a): the single-process graphql-ws reference server');
      const reference = await startReference();
      for (const scenario of config.scenarios) {
        runs.push(await runOne({ scenario, variant: REFERENCE, url: reference.url, publisher: reference.worker, progress, config, keys }));
      }
      await reference.worker.stop();
    }

    let platform: Awaited<ReturnType<typeof startPlatform>> | null = null;
    for (const variant of config.variants.filter((v) => v.system === 'b')) {
      for (const scenario of config.scenarios) {
        // A fresh platform per full run: an overloaded run must not leave a backlog to the next.
        const redis = variant.redis ?? 'single';
        if (!platform || !quick || platform.redis !== redis) {
          progress(`starting (b): ${redis === 'cluster' ? 'a Redis Cluster (3 masters, 3 replicas)' : 'Redis'}, ticks and people subgraphs, 2 gateways, nginx`);
          await platform?.stop();
          platform = await startPlatform(keys, redis);
        }
        runs.push(await runOne({ scenario, variant, url: platform.stack.wsUrl, publisher: platform.publisher, progress, config, keys }));
      }
    }
    if (!quick) await platform?.stop();
    if (cluster) return renderTables({ quick, runs, memory, idleConnections: 0 });

    progress(`idle memory: ${config.idleConnections} connections straight to a fresh (a) server`);
    const idleReference = await startReference();
    memory.push({
      label: '(a) graphql-ws reference',
      result: await idleMemory({
        name: '(a) idle',
        pid: idleReference.pid,
        url: idleReference.url,
        connections: config.idleConnections,
        settleMs: config.settleMs,
        keys,
        variant: REFERENCE,
        subscribed: async () => undefined,
        progress,
      }),
    });
    const { stack } = quick && platform?.redis === 'single' ? platform : await startPlatform(keys);
    for (const [streams, variant] of IDLE_VARIANTS) {
      progress(`idle memory: ${config.idleConnections} connections straight to a fresh (b) gateway, ${streams} (nginx's 4,096 worker_connections would not carry them)`);
      const gateway = await stack.startGateway();
      memory.push({
        label: `(b) platform gateway, ${streams}`,
        result: await idleMemory({
          name: `(b) idle, ${streams}`,
          pid: gateway.process.pid!,
          url: `ws://127.0.0.1:${gateway.port}/graphql`,
          connections: config.idleConnections,
          settleMs: config.settleMs,
          keys,
          variant,
          subscribed: () => until(async () => (await metric(gateway.port, 'subscriptions_client')) >= config.idleConnections, 120_000, 'every subscription registered').then(() => undefined),
          progress,
        }),
      });
      await gateway.kill('SIGKILL');
    }
  } finally {
    progress('stopping everything this suite started');
    await cleanUp();
  }
  return renderTables({ quick, runs, memory, idleConnections: config.idleConnections });
}

async function startPlatform(keys: BenchKeys, redis: 'single' | 'cluster' = 'single') {
  const stack = await startPlatformStack({ gateways: 2, keys, redis });
  onCleanup(stack.stop);
  const publisher = forkWorker(join(here, 'redis-publisher.ts'), stack.redisEnv);
  onCleanup(publisher.stop);
  const stop = async () => {
    await publisher.stop();
    await stack.stop();
  };
  return { stack, publisher, stop, redis };
}

async function startReference() {
  const port = await freePort();
  const worker = forkWorker(join(here, 'reference-server.ts'), { PORT: String(port) });
  onCleanup(worker.stop);
  await waitForReady(`http://127.0.0.1:${port}/`, 20_000);
  return { worker, pid: worker.pid, url: `ws://127.0.0.1:${port}/graphql` };
}

async function runOne(options: {
  scenario: Scenario;
  variant: Variant;
  url: string;
  publisher: Worker;
  progress: Progress;
  config: ReturnType<typeof settings>;
  keys: BenchKeys;
}): Promise<RunResult> {
  const { scenario, variant, progress } = options;
  const name = `${variant.label.split(' ')[0]} ${scenario.label}${variant.system === 'b' ? ` [${variant.label.replace('(b) platform, ', '')}]` : ''}`;
  progress(`${name}: connecting ${scenario.connections} clients × ${scenario.subscriptionsPerConnection} subscriptions (${subscribersPerTopic(scenario)} per topic)`);
  const loadGenerator = forkWorker(LOAD_GENERATOR);
  try {
    const ramp = await runRamp({
      name,
      scenario,
      loadGenerator,
      publisher: options.publisher,
      settings: options.config.ramp,
      progress,
      nextSeq: sequence,
      connect: connectPlan(options.url, scenario, variant, options.keys),
    });
    return { scenario, variant, ramp };
  } catch (err) {
    // One system failing a scenario is a result to report, not a reason to lose the others.
    const failure = (err as Error).message.slice(0, 300);
    progress(`${name}: not measured: ${failure}`);
    return { scenario, variant, ramp: { steps: [], sustained: null, peak: 0, failure } };
  } finally {
    await loadGenerator.stop();
  }
}

/** Publishers number their events across runs, so no run can count another's late events. */
const sequence = { value: 1 };

async function idleMemory(options: {
  name: string;
  pid: number;
  url: string;
  connections: number;
  settleMs: number;
  keys: BenchKeys;
  variant: Variant;
  subscribed(): Promise<void>;
  progress: Progress;
}): Promise<IdleMemory> {
  const scenario: Scenario = { label: 'idle', connections: options.connections, subscriptionsPerConnection: 1, topics: 1_000 };
  // A few connections first, so lazily built state (upstream sockets, compiled code) is in the baseline.
  const warm = forkWorker(LOAD_GENERATOR);
  try {
    await warm.request('connect', connectPlan(options.url, { ...scenario, connections: 50 }, options.variant, options.keys));
    await new Promise((resolve) => setTimeout(resolve, options.settleMs));
  } finally {
    await warm.stop();
  }
  const loadGenerator = forkWorker(LOAD_GENERATOR);
  try {
    return await measureIdleMemory({ ...options, loadGenerator, connect: connectPlan(options.url, scenario, options.variant, options.keys) });
  } finally {
    await loadGenerator.stop();
  }
}

function connectPlan(url: string, scenario: Scenario, variant: Variant, keys: BenchKeys): ConnectPlan {
  return {
    url,
    connections: scenario.connections,
    subscriptionsPerConnection: scenario.subscriptionsPerConnection,
    topics: scenario.topics,
    query: variant.query,
    users: variant.users,
    jwtPrivateKeyFile: keys.jwtPrivateKeyFile,
    jwtIssuer: keys.jwtIssuer,
  };
}
