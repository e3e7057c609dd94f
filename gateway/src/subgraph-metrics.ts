import { Counter, Histogram, type Registry } from 'prom-client';

/** Seconds; a subgraph fetch takes from under a millisecond to the subgraph timeout. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];

/** Fetches from the gateway to each subgraph (queries, mutations and entity fetches alike). */
export function createSubgraphFetchMetrics(registry: Registry) {
  const registers = [registry];
  const duration = new Histogram({
    name: 'gateway_subgraph_fetch_duration_seconds',
    help: 'Gateway to subgraph HTTP fetches: time to the whole answer, by subgraph',
    labelNames: ['subgraph'],
    buckets: BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'gateway_subgraph_fetch_errors_total',
    help: 'Gateway to subgraph HTTP fetches that failed, by subgraph and reason (network, timeout, http_4xx, http_5xx)',
    labelNames: ['subgraph', 'reason'],
    registers,
  });
  const merged = new Counter({
    name: 'gateway_subgraph_fetches_merged_total',
    help: 'Subgraph queries answered by an identical fetch already in flight (GATEWAY_MERGE_INFLIGHT), by subgraph',
    labelNames: ['subgraph'],
    registers,
  });
  return {
    merged: (subgraph: string) => merged.inc({ subgraph }),
    /** Times one fetch; `status` is the HTTP status, or an error for a fetch without an answer. */
    observe(subgraph: string, started: number, outcome: { status: number } | Error): void {
      duration.observe({ subgraph }, (performance.now() - started) / 1000);
      if (outcome instanceof Error) errors.inc({ subgraph, reason: /timed out/.test(outcome.message) ? 'timeout' : 'network' });
      else if (outcome.status >= 500) errors.inc({ subgraph, reason: 'http_5xx' });
      else if (outcome.status >= 400) errors.inc({ subgraph, reason: 'http_4xx' });
    },
  };
}

export type SubgraphFetchMetrics = ReturnType<typeof createSubgraphFetchMetrics>;
