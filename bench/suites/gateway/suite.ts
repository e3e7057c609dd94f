import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePort } from '@finder/testing/ports';
import { startNode, type Service } from '@finder/testing/processes';
import { cleanUp, onCleanup } from '../../lib/cleanup.ts';
import { createBenchTokens, useDevStack, type StackEnv } from '../../lib/dev-stack.ts';
import type { HttpLoadPlan, HttpLoadResult } from '../../lib/http-load.ts';
import type { Progress } from '../../lib/progress.ts';
import type { SuiteReport } from '../../lib/report.ts';
import { stackProcesses } from '../../lib/stack-cpu.ts';
import { forkWorker } from '../../lib/worker.ts';
import { ensureGatewayData } from './data.ts';
import { SHAPES } from './queries.ts';
import { writeSupergraphForStack } from './supergraph.ts';
import { renderGatewayTables } from './tables.ts';
import { GATEWAY_LABELS, GATEWAYS, SUBGRAPH_SERVERS, TRACED_SAMPLING, type GatewayName, type GatewayRun, type TracingRun } from './gateways.ts';
import { startOtlpSink } from './otlp-sink.ts';

const here = import.meta.dirname;
const HTTP_LOAD = join(here, '../../lib/http-load.ts');

function settings(quick: boolean) {
  // A quick run traces every request: at 1% its few seconds on a loaded machine may sample none,
  // and the smoke test checks that spans reach the sink.
  return {
    concurrency: quick ? 4 : 16,
    warmupMs: quick ? 1_000 : 5_000,
    durationMs: quick ? 2_000 : 20_000,
    sampling: quick ? 1 : TRACED_SAMPLING,
    tracing: { rounds: quick ? 1 : 5, warmupMs: quick ? 500 : 2_000, durationMs: quick ? 1_000 : 10_000 },
  };
}

export async function runGatewaySuite({ quick, progress }: { quick: boolean; progress: Progress }): Promise<SuiteReport> {
  const config = settings(quick);
  const env = await useDevStack(progress);
  const token = await createBenchTokens(env);
  progress('data: conversations with messages for the demo business (through nginx)');
  const { businessToken } = await ensureGatewayData(env, token);
  const dir = mkdtempSync(join(tmpdir(), 'finder-bench-gateway-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const runs: GatewayRun[] = [];
  const tracingRuns: TracingRun[] = [];
  let sink: Awaited<ReturnType<typeof startOtlpSink>> | undefined;
  try {
    progress('starting the gateways over the stack subgraphs (and an OTLP sink for the traced one)');
    sink = await startOtlpSink();
    onCleanup(() => sink!.close());
    const gateways = await startGateways(env, writeSupergraphForStack(env, join(dir, 'supergraph.graphql')), sink.url, config.sampling);
    // The subgraph servers every gateway calls, whose CPU per request is reported beside the gateway's.
    const subgraphs = Object.fromEntries(stackProcesses(env.STATE_DIR!).filter((p) => SUBGRAPH_SERVERS.includes(p.name)).map((p) => [p.name, p.pid]));
    for (const shape of SHAPES) {
      // Each shape measured on the gateways one after the other, so drifting background load hits
      // them alike.
      for (const name of GATEWAYS) {
        const gateway = gateways[name];
        progress(`${shape.label} on ${GATEWAY_LABELS[name]}: ${config.concurrency} in flight, ${config.warmupMs / 1000} s warm-up, ${config.durationMs / 1000} s measured`);
        const plan: HttpLoadPlan = {
          url: gateway.url,
          requests: [{ body: JSON.stringify({ query: shape.query }), headers: { authorization: `Bearer ${businessToken}` } }],
          ...config,
          watchPid: gateway.pid,
          alsoWatch: subgraphs,
        };
        const loadGenerator = forkWorker(HTTP_LOAD);
        try {
          const result = await loadGenerator.request<HttpLoadResult>('run', plan);
          runs.push({ shape, gateway: name, result });
          if (result.errorSample) progress(`  first error: ${result.errorSample}`);
        } catch (err) {
          runs.push({ shape, gateway: name, result: null, failure: (err as Error).message.slice(0, 300) });
        } finally {
          await loadGenerator.stop();
        }
      }
    }
    // Tracing's cost, untraced and traced side by side, at the same offered rate and at the same
    // time: CPU per request falls as throughput rises, so the closed-loop runs above, which reach
    // different throughputs, cannot tell a few percent apart; and what else the machine does
    // drifts between runs taken one after the other, so each round loads both at once.
    for (const shape of SHAPES) {
      const compiled = runs.find((r) => r.shape === shape && r.gateway === 'compiled')?.result;
      if (!compiled) continue;
      const rate = Math.max(5, Math.round(compiled.requestsPerSecond / 4));
      for (let round = 1; round <= config.tracing.rounds; round++) {
        progress(`tracing's cost, ${shape.label}, round ${round}/${config.tracing.rounds}: untraced and traced at once, ${rate} req/s each (open loop)`);
        await Promise.all(
          (['compiled', 'traced'] as const).map(async (name) => {
            const loadGenerator = forkWorker(HTTP_LOAD);
            try {
              const result = await loadGenerator.request<HttpLoadResult>('run', {
                url: gateways[name].url,
                requests: [{ body: JSON.stringify({ query: shape.query }), headers: { authorization: `Bearer ${businessToken}` } }],
                concurrency: 256,
                ratePerSecond: rate,
                warmupMs: config.tracing.warmupMs,
                durationMs: config.tracing.durationMs,
                watchPid: gateways[name].pid,
              } satisfies HttpLoadPlan);
              tracingRuns.push({ shape, gateway: name, round, rate, result });
            } finally {
              await loadGenerator.stop();
            }
          }),
        );
      }
    }
  } finally {
    progress('stopping the gateways this suite started (the ./dev stack keeps running)');
    await cleanUp();
  }
  return renderGatewayTables({ quick, runs, tracingRuns, concurrency: config.concurrency, tracedExports: sink?.exports() ?? 0 });
}

async function startGateways(env: StackEnv, supergraphPath: string, otlpUrl: string, sampling: number): Promise<Record<GatewayName, { url: string; pid: number }>> {
  const scripts: Record<GatewayName, string> = {
    ours: 'gateway/src/index.ts',
    compiled: 'gateway/src/index.ts',
    traced: 'gateway/src/index.ts',
    merged: 'gateway/src/index.ts',
    vanilla: join(here, 'vanilla-gateway.ts'),
    hive: join(here, 'hive-gateway.ts'),
    'hive-unmerged': join(here, 'hive-gateway.ts'),
  };
  const started = {} as Record<GatewayName, { url: string; pid: number }>;
  for (const name of GATEWAYS) {
    const port = await freePort();
    // Every gateway as deployed: production mode; ours with its own configuration from the stack.
    const own = name === 'ours' || name === 'compiled' || name === 'traced' || name === 'merged';
    const executor: Record<string, string> = own ? { GATEWAY_EXECUTOR: name === 'ours' ? 'apollo' : 'compiled', GATEWAY_MERGE_INFLIGHT: String(name === 'merged') } : {};
    if (name === 'hive-unmerged') executor.HIVE_DEDUPLICATE = 'false';
    // `ours` and `compiled` untraced, whatever the stack's setting; `traced` exports 1% of its traces over OTLP (quick: all).
    const tracing: Record<string, string> =
      name === 'traced'
        ? { OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER_ARG: String(sampling), OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl }
        : { OTEL_TRACES_EXPORTER: 'none' };
    const service = startNode(scripts[name], [], { ...env, ...tracing, ...executor, NODE_ENV: 'production', PORT: String(port), SUPERGRAPH_PATH: own ? 'schema/supergraph.graphql' : supergraphPath });
    onCleanup(() => service.kill('SIGKILL'));
    const url = `http://127.0.0.1:${port}/graphql`;
    await waitForGraphQL(url, service);
    started[name] = { url, pid: service.process.pid! };
  }
  return started;
}

/** Ready when a trivial query answers 200 (the peers have no /readyz). */
async function waitForGraphQL(url: string, service: Service, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.process.exitCode !== null) throw new Error(`gateway exited (${service.process.exitCode}):\n${service.output.slice(-30).join('\n')}`);
    const ready = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }).then((r) => r.ok, () => false);
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms:\n${service.output.slice(-30).join('\n')}`);
}
