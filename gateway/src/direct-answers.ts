import type { IncomingMessage } from 'node:http';
import type { GraphQLDataSource } from '@apollo/gateway';
import { createDocumentCache } from '@finder/platform/realtime';
import { acceptsJson, INTROSPECTION, type DirectAnswer } from '@finder/platform/server';
import { getOperationAST, type DocumentNode } from 'graphql';
import { Counter, type Registry } from 'prom-client';
import type { GatewayContext } from './context.ts';
import { executeCompiled, FALLBACK, type Compiled, type ExecutionResult } from './executor/executor.ts';
import type { CacheHint } from './handover.ts';
import type { Budgets, Charge } from './limits/budgets.ts';
import type { OperationLimits } from './limits/operation-limits.ts';
import type { OperationMetrics } from './operation-metrics.ts';
import type { LoadedSupergraph } from './supergraph.ts';

/** Documents kept parsed and validated (clients send a few hundred distinct ones at most). */
const MAX_DOCUMENTS = 1_000;

export interface DirectAnswersOptions {
  loaded: LoadedSupergraph;
  services: Record<string, GraphQLDataSource>;
  /** The compiled executor's compiler (executor.ts): Apollo's executor runs what it gives up on. */
  compile: (document: DocumentNode, operationName: string | undefined) => Compiled | typeof FALLBACK;
  context: (req: IncomingMessage) => Promise<GatewayContext>;
  limits: OperationLimits;
  budgets: Budgets;
  metrics: OperationMetrics;
  /** Apollo Server's parser limit, so a document parses here exactly when it parses there. */
  maxTokens: number;
  registry?: Registry;
}

export type DirectOutcome = DirectAnswer | { context: GatewayContext } | null;

/**
 * Queries and mutations over HTTP answered without Apollo Server's request pipeline: the same steps, in the same
 * order, with the gateway's own parts (document cache, the compiled executor, operation limits,
 * budgets, metrics), for what made up about a fifth of the gateway's busy time under the bench's
 * medium shape besides the subgraph fetches: Apollo's per-request query hash, plugin calls, header
 * maps and its response assembly.
 *
 * Only an answer that is Apollo Server's exactly leaves this path: the data of an operation that
 * ran without an error, uncacheable (`Cache-Control: no-store`, as Apollo's cache-control plugin
 * says then); a login among them gives its account's point back, as the limits plugin does.
 * Everything else goes to Apollo Server:
 * - before anything is charged or run (null: Apollo Server starts from scratch): GET, batches,
 *   persisted-query extensions, other media types, a document that does not parse or validate,
 *   introspection, subscriptions, an unknown operation name, an operation the compiled executor
 *   leaves to Apollo's, a token that does not verify, an operation over a limit;
 * - after (`{ context }`, the request's context carrying what was done, handover.ts): a budget
 *   refusal (Apollo's pipeline reports the charge made here rather than charging again), a result
 *   with errors, extensions or a cacheable policy, and a throw (Apollo's executor returns the one
 *   or throws the other, so Apollo's formatting, status and headers are the answer; nothing is
 *   fetched twice, and no mutation runs twice).
 */
export function createDirectAnswers(options: DirectAnswersOptions): (req: IncomingMessage, body: unknown) => Promise<DirectOutcome> {
  const parsed = createDocumentCache(options.loaded.apiGraphQLSchema, { size: MAX_DOCUMENTS, maxTokens: options.maxTokens });
  const compiled = new WeakMap<DocumentNode, Map<string, Compiled | typeof FALLBACK>>();
  const answered = new Counter({
    name: 'gateway_http_answers_total',
    help: 'GraphQL requests over HTTP by who answered them: the direct path, or Apollo Server',
    labelNames: ['by'],
    registers: options.registry ? [options.registry] : [],
  });
  const byDirect = answered.labels('direct');
  const byApollo = answered.labels('apollo');

  function compiledFor(document: DocumentNode, operationName: string | undefined): Compiled | typeof FALLBACK {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    let found = byName.get(operationName ?? '');
    if (!found) byName.set(operationName ?? '', (found = options.compile(document, operationName)));
    return found;
  }

  async function answer(req: IncomingMessage, body: unknown, started: number): Promise<DirectOutcome> {
    if (req.method !== 'POST' || !acceptsJson(req.headers.accept) || !isRecord(body)) return null;
    const { query, operationName, variables, extensions, ...rest } = body;
    if (typeof query !== 'string' || Object.keys(rest).length > 0 || INTROSPECTION.test(query)) return null;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
    if (variables !== undefined && !isRecord(variables)) return null;
    if (extensions !== undefined && (!isRecord(extensions) || 'persistedQuery' in extensions)) return null;
    const result = parsed(query);
    if (!('document' in result)) return null;
    const { document } = result;
    const operation = getOperationAST(document, operationName ?? undefined);
    if (!operation || operation.operation === 'subscription') return null;
    const plan = compiledFor(document, operationName ?? undefined);
    if (plan === FALLBACK) return null;
    let context: GatewayContext;
    try {
      context = await options.context(req);
    } catch {
      return null; // Apollo Server builds it again and answers the refusal (401)
    }
    // As Apollo Server hands them to its plugins: the resolved operation's name.
    const name = operation.name?.value ?? null;
    const { refusal, estimate } = options.limits.measure(document, name, variables);
    if (refusal) return null;
    const charge = options.budgets.charge(context, document, name, variables, estimate);
    const handOver = (result?: ExecutionResult, cacheHints: CacheHint[] = []) => ({ context: { ...context, handedOver: { charge, cacheHints, ...(result ? { result } : {}) } } });
    if (!(await charged(charge))) return handOver();
    const cacheHints: CacheHint[] = [];
    const requestContext = { context, request: { variables }, overallCachePolicy: { restrict: (hint: CacheHint) => cacheHints.push(hint) }, metrics: {} };
    let executed: ExecutionResult;
    try {
      executed = await executeCompiled(plan, options.loaded, options.services, variables, requestContext);
    } catch (thrown) {
      // Apollo's executor throws it again, so Apollo Server answers as it answers any executor's throw.
      return { context: { ...context, handedOver: { charge, thrown, cacheHints } } };
    }
    if (executed.errors?.length || executed.extensions || cacheHints.some((hint) => hint.maxAge > 0)) return handOver(executed, cacheHints);
    // A login that succeeded was no guess (budgets.ts), as the limits plugin does after Apollo's run.
    const { loginAccounts } = await charge;
    if (loginAccounts.length > 0) await options.budgets.refundLogins(loginAccounts);
    const label = options.metrics.label(name);
    const type = operation.operation;
    options.metrics.operations.inc({ operation: label, type, outcome: 'ok' });
    options.metrics.duration.observe({ operation: label, type }, (performance.now() - started) / 1000);
    return { status: 200, headers: { 'cache-control': 'no-store' }, body: `${JSON.stringify({ data: executed.data })}\n` };
  }

  return async (req, body) => {
    const outcome = await answer(req, body, performance.now());
    (outcome && 'status' in outcome ? byDirect : byApollo).inc();
    return outcome;
  };
}

/** Whether the budgets took the charge (a refusal is reported by Apollo's pipeline, from the same promise). */
async function charged(charge: Promise<Charge>): Promise<boolean> {
  try {
    await charge;
    return true;
  } catch {
    return false;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
