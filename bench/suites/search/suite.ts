/**
 * Search benchmark: `searchProfessionals` on 50,000 seeded professionals and 5,000 businesses, for a
 * mix of text, typo, filter and second-page queries, (a) straight at the finder subgraph, (b) through
 * the gateway and (c) through nginx in front of it; one client at a time for latency, then several
 * for throughput. Targets: p95 under 20 ms at the subgraph and under 40 ms through the gateway.
 */
import { loadavg } from 'node:os';
import { cleanUp, onCleanup } from '../../lib/cleanup.ts';
import type { Progress } from '../../lib/progress.ts';
import type { SuiteReport, Table } from '../../lib/report.ts';
import { percentile } from '../../lib/stats.ts';
import { forkWorker } from '../../lib/worker.ts';
import type { RunPlan, RunResult } from './load-generator.ts';
import { SEARCH_MIX, type MixEntry } from './mix.ts';
import { startSearchStack } from './search-stack.ts';
import { compareOneWordPlans } from './sql-comparison.ts';

const TARGET_P95_MS = { subgraph: 20, gateway: 40 };
const THROUGHPUT_CLIENTS = 8;
const TARGETS = [
  { key: 'subgraph', label: '(a) finder subgraph', auth: 'identity' },
  { key: 'gateway', label: '(b) gateway', auth: 'token' },
  { key: 'nginx', label: '(c) nginx → gateway', auth: 'token' },
] as const;
type TargetKey = (typeof TARGETS)[number]['key'];

export async function runSearchSuite({ quick, progress }: { quick: boolean; progress: Progress }): Promise<SuiteReport> {
  const size = quick ? { professionals: 2_000, businesses: 200 } : { professionals: 50_000, businesses: 5_000 };
  const timing = quick ? { warmupMs: 500, latencyMs: 1_500, throughputMs: 1_500, sqlRuns: 3 } : { warmupMs: 5_000, latencyMs: 20_000, throughputMs: 15_000, sqlRuns: 11 };
  const loadBefore = loadavg()[0]!;
  try {
    const stack = await startSearchStack({ ...size, progress });
    onCleanup(stack.stop);
    const generator = forkWorker('bench/suites/search/load-generator.ts');
    onCleanup(generator.stop);

    const latency = {} as Record<TargetKey, RunResult>;
    const throughput = {} as Record<TargetKey, RunResult>;
    for (const target of TARGETS) {
      const plan = {
        url: stack.targets[target.key],
        auth: target.auth,
        identitySecret: stack.identitySecret,
        jwtPrivateKeyFile: stack.jwtPrivateKeyFile,
        jwtIssuer: 'finder-realtime',
        warmupMs: timing.warmupMs,
      };
      progress(`${target.label}: latency, 1 client, ${timing.latencyMs / 1000} s`);
      latency[target.key] = await generator.request<RunResult>('run', { plan: { ...plan, concurrency: 1, durationMs: timing.latencyMs } satisfies RunPlan });
      progress(`${target.label}: throughput, ${THROUGHPUT_CLIENTS} clients, ${timing.throughputMs / 1000} s`);
      throughput[target.key] = await generator.request<RunResult>('run', { plan: { ...plan, concurrency: THROUGHPUT_CLIENTS, durationMs: timing.throughputMs } satisfies RunPlan });
    }
    progress('one-word searches in SQL: ranking every match against the postings');
    const plans = await compareOneWordPlans(stack.databaseUrl, ['finance', 'accounting', 'payroll'], timing.sqlRuns);
    progress('stopping');
    await cleanUp();
    return report({ quick, seed: stack.seed, latency, throughput, plans, loads: [loadBefore, loadavg()[0]!] });
  } finally {
    await cleanUp();
  }
}

interface Summary {
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
}

function summarize(result: RunResult, kinds?: MixEntry['kind'][], labels?: string[]): Summary {
  const slots = Object.entries(result.byLabel).filter(([label, slot]) => (!kinds || kinds.includes(slot.kind)) && (!labels || labels.includes(label)));
  const sorted = Float64Array.from(slots.flatMap(([, slot]) => slot.latencies)).sort();
  return {
    requests: sorted.length,
    errors: slots.reduce((sum, [, slot]) => sum + slot.errors, 0),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

const ms = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(value < 10 ? 2 : 1));

function report(run: {
  quick: boolean;
  seed: Awaited<ReturnType<typeof startSearchStack>>['seed'];
  latency: Record<TargetKey, RunResult>;
  throughput: Record<TargetKey, RunResult>;
  plans: Awaited<ReturnType<typeof compareOneWordPlans>>;
  loads: [number, number];
}): SuiteReport {
  const kinds: (MixEntry['kind'] | 'all')[] = ['all', 'text', 'typo', 'filter', 'next page'];
  const latencyTable: Table = {
    caption: 'Latency, one client at a time (ms): p50 / p95 / p99',
    columns: ['queries', 'requests', ...TARGETS.map((t) => t.label)],
    rows: kinds.map((kind) => {
      const of = (key: TargetKey) => summarize(run.latency[key], kind === 'all' ? undefined : [kind]);
      return [kind === 'all' ? 'whole mix' : kind, of('subgraph').requests, ...TARGETS.map((t) => triple(of(t.key)))];
    }),
  };
  const perQuery: Table = {
    caption: 'Per query, one client (ms): p50 / p95',
    columns: ['query', 'kind', ...TARGETS.slice(0, 2).map((t) => t.label)],
    rows: SEARCH_MIX.map((entry) => [
      entry.label,
      entry.kind,
      ...TARGETS.slice(0, 2).map((t) => {
        const s = summarize(run.latency[t.key], undefined, [entry.label]);
        return `${ms(s.p50)} / ${ms(s.p95)}`;
      }),
    ]),
  };
  const throughputTable: Table = {
    caption: `Throughput, ${THROUGHPUT_CLIENTS} concurrent clients, whole mix`,
    columns: ['target', 'requests/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors'],
    rows: TARGETS.map((t) => {
      const s = summarize(run.throughput[t.key]);
      return [t.label, Math.round(s.requests / run.throughput[t.key].seconds), ms(s.p50), ms(s.p95), ms(s.p99), s.errors];
    }),
  };
  const plansTable: Table = {
    caption: 'One-word search, Postgres execution time (median ms, EXPLAIN ANALYZE)',
    columns: ['word', 'matching profiles', 'ranking every match', 'search postings', 'ratio'],
    rows: run.plans.map((p) => [p.word, p.matches, ms(p.rankEveryMatchMs), ms(p.postingsMs), `${(p.rankEveryMatchMs / p.postingsMs).toFixed(0)}×`]),
  };
  const seedTable: Table = {
    caption: 'Seeded data (finder seed --direct)',
    columns: ['professionals', 'businesses', 'seconds', 'postings', 'profiles MB', 'postings MB'],
    rows: [[run.seed.professionals, run.seed.businesses, run.seed.seconds.toFixed(1), run.seed.postings, run.seed.tableMb, run.seed.postingsMb]],
  };

  const subgraph = summarize(run.latency.subgraph);
  const gateway = summarize(run.latency.gateway);
  const verdict = (p95: number, target: number) => `${ms(p95)} ms: ${p95 < target ? 'met' : 'MISSED'} (target < ${target} ms)`;
  const errors = TARGETS.flatMap((t) => [run.latency[t.key], run.throughput[t.key]]).find((r) => r.firstError)?.firstError;
  const notes = [
    `p95 of the whole mix, one client, at the subgraph: ${verdict(subgraph.p95, TARGET_P95_MS.subgraph)}; through the gateway: ${verdict(gateway.p95, TARGET_P95_MS.gateway)}.`,
    `Gateway cost over calling the subgraph (p50, one client): +${ms(gateway.p50 - subgraph.p50)} ms.`,
    `Mix (bench/suites/search/mix.ts): ${SEARCH_MIX.length} queries in turn, 20 results each; the load generator is its own process; ${THROUGHPUT_CLIENTS} clients share the 2 cores with the subgraph, gateway, nginx and Postgres.`,
    `Load average (1 min) before and after the run: ${run.loads.map((l) => l.toFixed(1)).join(' → ')}.`,
    ...(errors ? [`First error: ${errors}`] : []),
    ...(run.quick ? ['Quick run: 2,000 professionals and a few seconds per phase; not a measurement.'] : []),
  ];
  return {
    title: `search${run.quick ? ' (quick)' : ''}`,
    tables: [latencyTable, perQuery, throughputTable, plansTable, seedTable],
    notes,
    packages: ['@apollo/gateway', '@apollo/server', '@apollo/subgraph', '@mikro-orm/postgresql', 'pg', 'nginx'],
  };
}

const triple = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)}`;
