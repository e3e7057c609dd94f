import type { SuiteReport, Table } from '../../lib/report.ts';
import { GATEWAY_LABELS, SUBGRAPH_SERVERS, TRACED_SAMPLING, type GatewayRun, type GatewayName, type TracingRun } from './gateways.ts';
import { SHAPES } from './queries.ts';

const fixed = (value: number | null | undefined, digits = 0) => (value === null || value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits));
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : '—');

/** Tracing at production sampling may add at most this share to the gateway's CPU per request. */
const TRACING_CPU_BUDGET = 0.05;

export function renderGatewayTables({
  quick,
  runs,
  tracingRuns,
  concurrency,
  tracedExports,
}: {
  quick: boolean;
  runs: GatewayRun[];
  tracingRuns: TracingRun[];
  concurrency: number;
  tracedExports: number;
}): SuiteReport {
  const measured: Table = {
    caption: `Gateways over the same subgraphs (${concurrency} requests in flight, closed loop)`,
    columns: ['shape', 'gateway', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'response KB', 'gateway RSS MB', 'gateway CPU ms / 1,000 req'],
    rows: runs.map(({ shape, gateway, result, failure }) =>
      result
        ? [shape.label, GATEWAY_LABELS[gateway], fixed(result.requestsPerSecond), fixed(result.p50Ms, 1), fixed(result.p99Ms, 1), result.errors, fixed(result.responseBytes / 1024, 1), fixed((result.watchedRssBytes ?? 0) / 2 ** 20), fixed(result.cpuMsPer1000)]
        : [shape.label, GATEWAY_LABELS[gateway], '—', '—', '—', `failed: ${failure}`, '—', '—', '—'],
    ),
  };
  const pathCpu = (result: GatewayRun['result'] | undefined) =>
    result?.cpuMsPer1000 ? result.cpuMsPer1000 + SUBGRAPH_SERVERS.reduce((sum, name) => sum + (result.alsoCpuMsPer1000?.[name] ?? 0), 0) : null;
  const wholePath: Table = {
    caption: 'CPU per request along the whole path: the gateway and each subgraph server it calls (ms per 1,000 requests, same runs as above)',
    columns: ['shape', 'gateway', 'gateway CPU', ...SUBGRAPH_SERVERS.map((name) => `${name} CPU`), 'gateway + subgraphs'],
    rows: runs
      .filter((run) => run.result)
      .map(({ shape, gateway, result }) => [shape.label, GATEWAY_LABELS[gateway], fixed(result!.cpuMsPer1000), ...SUBGRAPH_SERVERS.map((name) => fixed(result!.alsoCpuMsPer1000?.[name])), fixed(pathCpu(result))]),
  };
  const of = (label: string, gateway: GatewayName) => runs.find((r) => r.shape.label === label && r.gateway === gateway)?.result;
  const ratios: Table = {
    caption: "Headline: this gateway (compiled executor) relative to each peer and to itself on Apollo's executor (req/s: higher is better; CPU per request: lower is better)",
    columns: ['shape', 'req/s vs vanilla', 'req/s vs Hive', 'CPU / req vs vanilla', 'CPU / req vs Hive', 'whole path CPU / req vs vanilla', "req/s vs Apollo's executor", "CPU / req vs Apollo's executor"],
    rows: SHAPES.map(({ label }) => {
      const [compiled, ours, vanilla, hive] = (['compiled', 'ours', 'vanilla', 'hive'] as const).map((g) => of(label, g));
      return [
        label,
        ratio(compiled?.requestsPerSecond, vanilla?.requestsPerSecond),
        ratio(compiled?.requestsPerSecond, hive?.requestsPerSecond),
        ratio(compiled?.cpuMsPer1000, vanilla?.cpuMsPer1000),
        ratio(compiled?.cpuMsPer1000, hive?.cpuMsPer1000),
        ratio(pathCpu(compiled), pathCpu(vanilla)),
        ratio(compiled?.requestsPerSecond, ours?.requestsPerSecond),
        ratio(compiled?.cpuMsPer1000, ours?.cpuMsPer1000),
      ];
    }),
  };
  const merging: Table = {
    caption: "In-flight merging (identical subgraph queries in flight share one fetch): this gateway merging against Hive Gateway's default (which merges), and both without it (the headline is measured without)",
    columns: ['shape', 'req/s merged vs Hive', 'CPU / req merged vs Hive', 'req/s vs Hive unmerged', 'CPU / req vs Hive unmerged', 'req/s merged vs unmerged'],
    rows: SHAPES.map(({ label }) => {
      const [compiled, merged, hive, hiveUnmerged] = (['compiled', 'merged', 'hive', 'hive-unmerged'] as const).map((g) => of(label, g));
      return [
        label,
        ratio(merged?.requestsPerSecond, hive?.requestsPerSecond),
        ratio(merged?.cpuMsPer1000, hive?.cpuMsPer1000),
        ratio(compiled?.requestsPerSecond, hiveUnmerged?.requestsPerSecond),
        ratio(compiled?.cpuMsPer1000, hiveUnmerged?.cpuMsPer1000),
        ratio(merged?.requestsPerSecond, compiled?.requestsPerSecond),
      ];
    }),
  };
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
  const tracing: Table = {
    caption: `The cost of tracing: this gateway (compiled executor) with ${TRACED_SAMPLING * 100}% of requests traced and exported over OTLP, against it untraced, both loaded at once at the same offered rate (open loop; target: under ${TRACING_CPU_BUDGET * 100}% more CPU per request)`,
    columns: ['shape', 'CPU ms / 1,000 req untraced', 'traced', 'added CPU per request', 'added, each round', 'offered req/s', 'target'],
    rows: SHAPES.map(({ label }) => {
      const rounds = tracingRuns.filter((r) => r.shape.label === label);
      const cpu = (gateway: 'compiled' | 'traced') => rounds.filter((r) => r.gateway === gateway).map((r) => r.result.cpuMsPer1000 ?? Number.NaN);
      const [plain, traced] = [mean(cpu('compiled')), mean(cpu('traced'))];
      const added = plain && traced ? traced / plain - 1 : null;
      const perRound = cpu('traced').map((t, i) => `${((t / cpu('compiled')[i]! - 1) * 100).toFixed(1)}%`);
      return [
        label,
        fixed(plain),
        fixed(traced),
        added === null ? '—' : `${(added * 100).toFixed(1)}%`,
        perRound.join(', ') || '—',
        fixed(rounds[0]?.rate),
        added === null ? '—' : added < TRACING_CPU_BUDGET ? 'met' : 'missed',
      ];
    }),
  };
  const notes = [
    'Every gateway runs as a separate process in production mode over the running `./dev up` subgraphs (users, chat, finder) and their seeded data; the load generator is its own process.',
    'The peers verify the same access token and sign the same identity header our subgraphs require (bench/suites/gateway/peer-identity.ts); otherwise they use their defaults.',
    'CPU per 1,000 requests is the gateway process\'s utime+stime (/proc/<pid>/stat) over the measured window, so it excludes the subgraphs and the load generator sharing the cores; the whole-path table adds each subgraph server\'s over the same window (the `./dev up` processes, which only the measured gateway loads then).',
  ];
  notes.push(
    `The traced gateway samples ${TRACED_SAMPLING * 100}% of requests at the root (parent-based, as configured in production) and exports them in batches over OTLP/HTTP to a sink that answers success (bench/suites/gateway/otlp-sink.ts); it received ${tracedExports} exports. Its cost is measured apart from the closed-loop table: untraced and traced are loaded at the same time (${Math.max(1, ...tracingRuns.map((r) => r.round))} rounds), each at the same offered rate, a quarter of what the untraced gateway served closed-loop, because CPU per request falls as throughput rises (closed-loop runs reach different throughputs) and what else the machine does drifts between runs taken one after the other.`,
  );
  notes.push(
    `Every client request of a shape is the same query with the same token, ${concurrency} in flight: the case in-flight merging is made for (and the most it can gain); with distinct viewers or variables nothing merges.`,
  );
  if (quick) notes.push('Quick mode: a harness check, not a measurement; the traced gateway traces every request.');
  return {
    title: `gateway${quick ? ' (quick)' : ''}`,
    tables: [measured, wholePath, ratios, merging, tracing],
    notes,
    packages: ['@apollo/gateway', '@apollo/server', '@graphql-hive/gateway', '@graphql-hive/gateway-runtime', 'graphql'],
  };
}
