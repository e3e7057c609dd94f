import type { SuiteReport, Table } from '../../lib/report.ts';
import type { IdleMemory } from './idle-memory.ts';
import type { RunResult } from './runs.ts';

const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(1));
const ratio = (value: number, reference: number | undefined) => (reference ? `${(value / reference).toFixed(2)}×` : '–');
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** The suite's report: the side-by-side table first, the steps behind it, idle memory, then the verdicts. */
export function renderTables(input: { quick: boolean; runs: RunResult[]; memory: { label: string; result: IdleMemory }[]; idleConnections: number }): SuiteReport {
  const { runs, memory } = input;
  const reference = (run: RunResult) => runs.find((r) => r.variant.system === 'a' && r.scenario.label === run.scenario.label)?.ramp;

  const headline: Table = {
    caption: 'Deliveries per second and publish→client latency (sustained = best step with p99 < 100 ms and ≥ 99% delivered)',
    columns: ['scenario', 'system', 'sustained deliveries/s', 'p50 ms', 'p99 ms', 'peak deliveries/s', 'sustained vs (a)', 'peak vs (a)'],
    rows: runs.map((run) => [
      run.scenario.label,
      run.variant.label,
      run.ramp.sustained?.achieved ?? 0,
      ms(run.ramp.sustained?.p50),
      ms(run.ramp.sustained?.p99),
      run.ramp.peak,
      ratio(run.ramp.sustained?.achieved ?? 0, reference(run)?.sustained?.achieved),
      ratio(run.ramp.peak, reference(run)?.peak),
    ]),
  };
  const steps: Table = {
    caption: 'Every step (offered load → what arrived)',
    columns: ['scenario', 'system', 'offered/s', 'achieved/s', 'delivered', 'error events', 'p50 ms', 'p99 ms'],
    rows: runs.flatMap((run) =>
      run.ramp.steps.map((s) => [run.scenario.label, run.variant.label, s.offered, s.achieved, `${(s.deliveredShare * 100).toFixed(1)}%`, s.errored, ms(s.p50), ms(s.p99)]),
    ),
  };
  const idle: Table | null = memory.length === 0 ? null : {
    caption: `Memory per idle connection (${input.idleConnections.toLocaleString('en')} connections straight to one server process, RSS from /proc/<pid>/status)`,
    columns: ['server', 'connections', 'RSS before MiB', 'after connection_init MiB', 'after 1 subscription each MiB', 'KiB/conn (init only)', 'KiB/conn (with subscription)'],
    rows: memory.map(({ label, result: m }) => [
      label,
      m.connections,
      mib(m.baselineBytes),
      mib(m.afterInitBytes),
      mib(m.afterSubscribeBytes),
      kib((m.afterInitBytes - m.baselineBytes) / m.connections),
      kib((m.afterSubscribeBytes - m.baselineBytes) / m.connections),
    ]),
  };
  return {
    title: `Suite subscriptions${input.quick ? ' (quick: scaled down, not a measurement)' : ''}${memory.length === 0 && !runs.some((r) => r.variant.system === 'a') ? ' (--cluster: the Redis Cluster row and its one-Redis twin only)' : ''}`,
    tables: idle ? [headline, steps, idle] : [headline, steps],
    notes: [...verdicts(runs, reference, memory), ...METHOD],
    packages: ['graphql', 'graphql-ws', 'ws', '@apollo/gateway', '@apollo/subgraph', 'ioredis', 'graphql-redis-subscriptions', 'nginx', 'redis-server'],
  };
}

function verdicts(runs: RunResult[], reference: (run: RunResult) => RunResult['ramp'] | undefined, memory: { label: string; result: IdleMemory }[]): string[] {
  const lines = runs
    .filter((run) => run.variant.system === 'b' && reference(run))
    .map((run) => {
      const share = (run.ramp.sustained?.achieved ?? 0) / (reference(run)?.sustained?.achieved || Number.NaN);
      const met = share >= 0.5;
      return `Target "(b) ≥ half of (a) with p99 < 100 ms", ${run.scenario.label}, ${run.variant.label}: ${met ? 'met' : 'MISSED'} (${(share * 100).toFixed(0)}% of (a)).`;
    });
  for (const { label, result: gateway } of memory.filter((m) => m.label.startsWith('(b)'))) {
    const perConnection = (gateway.afterSubscribeBytes - gateway.baselineBytes) / gateway.connections / 1024;
    lines.push(`Target "under 30 KB per idle connection" (${label}, connection with one subscription): ${perConnection < 30 ? 'met' : 'MISSED'} (${perConnection.toFixed(1)} KiB).`);
  }
  // The cluster row beside the same row on one Redis.
  for (const onCluster of runs.filter((r) => r.variant.redis === 'cluster')) {
    const single = runs.find((r) => r !== onCluster && r.scenario.label === onCluster.scenario.label && r.variant.query === onCluster.variant.query && r.variant.users === onCluster.variant.users && (r.variant.redis ?? 'single') === 'single');
    if (!single) continue;
    lines.push(
      `On a Redis Cluster (3 shards) against one Redis, ${onCluster.scenario.label}: sustained ${ratio(onCluster.ramp.sustained?.achieved ?? 0, single.ramp.sustained?.achieved)}, peak ${ratio(onCluster.ramp.peak, single.ramp.peak)}, p99 at the sustained step ${ms(onCluster.ramp.sustained?.p99)} ms against ${ms(single.ramp.sustained?.p99)} ms.`,
    );
  }
  for (const run of runs.filter((r) => r.ramp.failure)) lines.push(`Not measured: ${run.scenario.label}, ${run.variant.label}: ${run.ramp.failure}`);
  return lines;
}

const METHOD = [
  'Method: open-loop publishers raise the offered deliveries/s step by step (10 s steps, after a 3 s warm-up; ×1.5 from 2,000, until less than 80% of it gets through), then three steps bisect between the best step within the bounds and the first step above it that was not (the table lists every step by offered load); a step counts only events published in it (by seq) and waits for them to drain. Load generator, publisher and servers are separate processes.',
  '(a) is one Node process: graphql-js + graphql-ws, EventEmitter pub/sub, the publisher inside it, no authentication; it resolves author.name in process. (b): publisher process → Redis → ticks subgraph (graphql-ws) → gateway ×2 → nginx → clients; author.name is an entity fetch to the people subgraph over HTTP.',
  'Clients: every connection is a distinct user, except the "one shared user" row. "Shared stream": `tick` and every field selected are declared @viewerIndependent, so viewers share one upstream subscription per topic per gateway (each viewer authorized by the ticks subgraph before joining). "Per-viewer streams": the same stream through `privateTick`, not declared, so each viewer has its own upstream subscription; author.name is declared viewer-independent, so the groups receiving the same event share one completion of it (one entity fetch). "1,000 topics × 10" runs 1,000 connections with 10 subscriptions each.',
  '"On a Redis Cluster": the first (b) row with Redis a private cluster of three masters, each with a replica, instead of one server: the publisher SPUBLISHes each topic to the master owning its channel\'s slot, and the ticks subgraph SSUBSCRIBEs there (REDIS_CLUSTER_NODES, as `REDIS_MODE=cluster ./dev up` sets it).',
  'The bench gateways run with WS_CONNECT_RATE_PER_ADDRESS=1000000 because every client connects from 127.0.0.1, and (like the reference) 30 s for connection_init; everything else is at its default.',
];
