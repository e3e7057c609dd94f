import { buildOperationContext, type ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { operationFromDocument } from '@apollo/federation-internals';
import type { PlanNode, QueryPlan } from '@apollo/query-planner';
import { inChildSpan } from '@finder/platform/telemetry';
import { getVariableValues, GraphQLError, Kind, type DocumentNode, type VariableDefinitionNode } from 'graphql';
import type { GatewayContext } from '../context.ts';
import type { CacheHint } from '../handover.ts';
import type { LoadedSupergraph } from '../supergraph.ts';
import { compilePlan, type PlanRun } from './plan-runner.ts';
import { compileResponseShape, UnsupportedOperation, type ResponseShape } from './response-shape.ts';

export type GatewayExecutor = ApolloGateway['executor'];
type RequestContext = Parameters<GatewayExecutor>[0];
export type ExecutionResult = Awaited<ReturnType<GatewayExecutor>>;

type OperationContext = ReturnType<typeof buildOperationContext>;

/** A plan's steps and the response shaping of its operation, compiled once. */
export interface CompiledOperation {
  run: ReturnType<typeof compilePlan> | null;
  shape: ResponseShape;
}

/** One operation of one document, compiled, with what the request checks before running it. */
export interface Compiled extends CompiledOperation {
  plan: QueryPlan;
  variableDefinitions: readonly VariableDefinitionNode[] | undefined;
}

/**
 * Compiles `node` (a query plan's, or what a subscription runs per event) and the shaping of the
 * operation's response. Throws UnsupportedOperation for what it does not run.
 */
export function compileOperation(loaded: LoadedSupergraph, node: PlanNode | undefined, operationContext: OperationContext): CompiledOperation {
  // As executeQueryPlan does: the operation shaped is rebuilt from the operation and its fragments.
  const operation = operationFromDocument(
    loaded.apiSchema,
    { kind: Kind.DOCUMENT, definitions: [operationContext.operation, ...Object.values(operationContext.fragments)] },
    { validate: false },
  );
  return {
    run: node ? compilePlan(node, loaded.supergraphGraphQLSchema, operation.variableDefinitions) : null,
    shape: compileResponseShape(operation),
  };
}

/** Runs a compiled operation: its fetches, then the response, as Apollo's executeQueryPlan answers. */
export async function runCompiled(compiled: CompiledOperation, run: PlanRun): Promise<ExecutionResult> {
  const data = Object.create(null) as Record<string, unknown>;
  if (compiled.run) await compiled.run(run, { path: [], data, fullResult: data });
  const errors = run.errors as GraphQLError[];
  try {
    const shaped = compiled.shape.shape(data, run.variables);
    // Errors found while shaping are reported as Apollo does: in `extensions.valueCompletion`
    // when the fetches went well, dropped otherwise (they repeat what the fetch errors say).
    if (errors.length === 0 && shaped.errors.length > 0) return { extensions: { valueCompletion: shaped.errors }, data: shaped.data };
    return errors.length === 0 ? { data: shaped.data } : { errors, data: shaped.data };
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [error] };
    if (error instanceof Error) return { errors: [new GraphQLError(error.message, { originalError: error })] };
    return { errors: [new GraphQLError('Unexpected error during query plan execution')] };
  }
}

/** Operations this executor hands to Apollo's, remembered as such. */
export const FALLBACK = Symbol('fallback');

/** What compiles one operation of a document (or says Apollo's executor runs it, and why). */
export function createOperationCompiler(loaded: LoadedSupergraph, onFallback?: (reason: string) => void) {
  return (document: DocumentNode, operationName: string | undefined): Compiled | typeof FALLBACK => {
    try {
      const operationContext = buildOperationContext({ schema: loaded.apiGraphQLSchema, operationDocument: document, operationName });
      const planned = operationFromDocument(loaded.apiSchema, document, { operationName });
      const plan = loaded.planner.buildQueryPlan(planned);
      if (plan.node?.kind === 'Subscription') throw new UnsupportedOperation('subscriptions');
      return { plan, variableDefinitions: operationContext.operation.variableDefinitions, ...compileOperation(loaded, plan.node, operationContext) };
    } catch (error) {
      // Apollo's executor answers these as it always has, errors included.
      onFallback?.(error instanceof UnsupportedOperation ? error.message : 'compilation failed');
      return FALLBACK;
    }
  };
}

/** Runs a compiled operation for one request: its variables checked as Apollo checks them, then its plan. */
export async function executeCompiled(
  compiled: Compiled,
  loaded: LoadedSupergraph,
  services: PlanRun['services'],
  variables: Record<string, unknown> | undefined,
  requestContext: PlanRun['requestContext'],
): Promise<ExecutionResult> {
  return inChildSpan('gateway.request', {}, async () => {
    // Apollo validates the variables (and still sends the client's values, not the coerced ones).
    if (compiled.variableDefinitions?.length) {
      const { errors } = getVariableValues(loaded.apiGraphQLSchema, compiled.variableDefinitions, variables || {});
      if (errors) return { errors };
    }
    return runCompiled(compiled, { services, variables, requestContext, errors: [] });
  });
}

export interface CompiledExecutorOptions {
  loaded: LoadedSupergraph;
  /** The gateway's data sources by subgraph name (the same ones Apollo's executor uses). */
  services: Record<string, GraphQLDataSource>;
  /** Apollo's executor, for the operations this one does not run. */
  fallback: GatewayExecutor;
  /** Compiled operations kept (least recently used dropped first). */
  cacheSize?: number;
  /** Called once per operation handed to Apollo's executor, with why. */
  onFallback?: (reason: string) => void;
}

/**
 * Runs @apollo/query-planner's plans with an executor compiled once per operation (plan-runner.ts
 * for the fetches, response-shape.ts for the response) instead of Apollo's executeQueryPlan and
 * its post-processing; responses are the same (gateway/test/executor-differential.test.ts).
 * Introspection, @defer, subscriptions and plans with data rewrites (@interfaceObject, @context)
 * go to Apollo's executor. A request the direct path (direct-answers.ts) already ran and handed
 * over for Apollo Server to answer gets that run's result.
 */
export function createCompiledExecutor({ loaded, services, fallback, cacheSize = 1_000, onFallback }: CompiledExecutorOptions): GatewayExecutor {
  const cache = new Map<string, Compiled | typeof FALLBACK>();
  const compile = createOperationCompiler(loaded, onFallback);

  function compiledFor(requestContext: RequestContext): Compiled | typeof FALLBACK {
    const { queryHash, request, document } = requestContext;
    const key = request.operationName ? `${queryHash}\u0000${request.operationName}` : queryHash;
    let compiled = cache.get(key);
    if (compiled) {
      cache.delete(key);
    } else {
      compiled = compile(document, request.operationName ?? undefined);
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
    }
    cache.set(key, compiled);
    return compiled;
  }

  return async (requestContext) => {
    const handedOver = (requestContext.context as Partial<GatewayContext> | undefined)?.handedOver;
    if (handedOver && ('result' in handedOver || 'thrown' in handedOver)) {
      const policy = (requestContext as { overallCachePolicy?: { restrict?: (hint: CacheHint) => void } }).overallCachePolicy;
      for (const hint of handedOver.cacheHints) policy?.restrict?.(hint);
      if ('thrown' in handedOver) throw handedOver.thrown;
      return handedOver.result as ExecutionResult;
    }
    const compiled = compiledFor(requestContext);
    if (compiled === FALLBACK) return fallback(requestContext);
    return executeCompiled(compiled, loaded, services, requestContext.request.variables, requestContext as never);
  };
}
