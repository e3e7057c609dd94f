import { readFileSync } from 'node:fs';
import type { ApolloServerPlugin } from '@apollo/server';
import { parse } from 'graphql';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Label values for operations outside the known set, and for operations without a name. */
export const OTHER_OPERATION = 'other';
export const ANONYMOUS_OPERATION = 'anonymous';

/** Seconds; GraphQL operations here take from a millisecond to a few seconds. */
const BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];

/**
 * The operation names a metric may carry: those of a manifest of documents (the client SDK's
 * persisted-documents.json). Any other name is pooled, so a client choosing names cannot grow
 * the label set; a missing manifest leaves only the pooled names.
 */
export function knownOperationNames(manifestPath: string): Set<string> {
  let manifest: Record<string, string>;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, string>;
  } catch {
    return new Set();
  }
  const names = new Set<string>();
  for (const text of Object.values(manifest)) {
    for (const definition of parse(text).definitions) {
      if (definition.kind === 'OperationDefinition' && definition.name) names.add(definition.name.value);
    }
  }
  return names;
}

export function createOperationMetrics(registry: Registry, known: Set<string>) {
  const registers = [registry];
  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations over HTTP, by operation name (known names only), type and outcome (ok or the first error code)',
    labelNames: ['operation', 'type', 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operations over HTTP: time from the request to the response, by operation name and type',
    labelNames: ['operation', 'type'],
    buckets: BUCKETS,
    registers,
  });
  const label = (name: string | null | undefined) => (!name ? ANONYMOUS_OPERATION : known.has(name) ? name : OTHER_OPERATION);
  return { operations, duration, label };
}

export type OperationMetrics = ReturnType<typeof createOperationMetrics>;

/** Counts every HTTP operation once it answers, refused ones included (type `unknown` before parsing). */
export function operationMetricsPlugin(metrics: OperationMetrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, operationName, request, errors, response }) {
          const name = metrics.label(operation?.name?.value ?? operationName ?? request.operationName);
          const type = operation?.operation ?? 'unknown';
          const single = response.body.kind === 'single' ? response.body.singleResult : null;
          const first = errors?.[0] ?? single?.errors?.[0];
          const outcome = first ? String(first.extensions?.code ?? 'INTERNAL_SERVER_ERROR') : 'ok';
          metrics.operations.inc({ operation: name, type, outcome });
          metrics.duration.observe({ operation: name, type }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}
