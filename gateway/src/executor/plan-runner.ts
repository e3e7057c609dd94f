import type { GraphQLDataSource } from '@apollo/gateway';
import { errorCodeDef, ERRORS, type VariableDefinitions } from '@apollo/federation-internals';
import { evaluateCondition, type FetchNode, type PlanNode, type QueryPlanSelectionNode, type ResponsePath } from '@apollo/query-planner';
import { inChildSpan } from '@finder/platform/telemetry';
import { GraphQLError, isAbstractType, isInterfaceType, isObjectType, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { isDirectSource } from '../subgraph-source.ts';
import { UnsupportedOperation } from './response-shape.ts';

type ResultMap = Record<string, unknown>;
type Variables = Record<string, unknown>;

interface Cursor {
  path: ResponsePath;
  data: ResultMap | ResultMap[];
  fullResult: ResultMap;
}

/** What one request's run of a compiled plan shares. */
export interface PlanRun {
  services: Record<string, GraphQLDataSource>;
  variables: Variables | undefined;
  /** Apollo's request context, handed to data sources as Apollo's executor does (identity, request id, metrics). */
  requestContext: { context: unknown; overallCachePolicy?: unknown; metrics?: { nonFtv1ErrorPaths?: { subgraph: string; path: unknown }[] } } & Record<string, unknown>;
  errors: unknown[];
}

type Step = (run: PlanRun, cursor: Cursor) => Promise<void>;

/**
 * A query plan compiled once into closures: each fetch's variables, representations (its
 * `requires` selection, with type conditions resolved against the supergraph once) and merge, with
 * the same data, error paths and `serviceName` extensions as @apollo/gateway's executeQueryPlan.
 */
export function compilePlan(node: PlanNode, supergraph: GraphQLSchema, variableDefinitions: VariableDefinitions): Step {
  switch (node.kind) {
    case 'Sequence': {
      const steps = node.nodes.map((n) => compilePlan(n, supergraph, variableDefinitions));
      return async (run, cursor) => {
        for (const step of steps) await step(run, cursor);
      };
    }
    case 'Parallel': {
      const steps = node.nodes.map((n) => compilePlan(n, supergraph, variableDefinitions));
      return async (run, cursor) => {
        await Promise.all(steps.map((step) => step(run, cursor)));
      };
    }
    case 'Flatten': {
      const step = compilePlan(node.node, supergraph, variableDefinitions);
      const path = node.path;
      return async (run, cursor) => {
        const data = flattenResultsAtPath(cursor.data, path);
        if (data) await step(run, { path: cursor.path.concat(path), data, fullResult: cursor.fullResult });
      };
    }
    case 'Fetch':
      return compileFetch(node, supergraph);
    case 'Condition': {
      const ifClause = node.ifClause && compilePlan(node.ifClause, supergraph, variableDefinitions);
      const elseClause = node.elseClause && compilePlan(node.elseClause, supergraph, variableDefinitions);
      return async (run, cursor) => {
        const branch = evaluateCondition(node, variableDefinitions, run.variables) ? ifClause : elseClause;
        if (branch) await branch(run, cursor);
      };
    }
    default:
      throw new UnsupportedOperation(`${node.kind} plan nodes`);
  }
}

function compileFetch(fetch: FetchNode, supergraph: GraphQLSchema): Step {
  if (fetch.inputRewrites?.length || fetch.outputRewrites?.length || fetch.contextRewrites?.length) throw new UnsupportedOperation('fetches with data rewrites');
  const represent = fetch.requires ? compileRequires(fetch.requires, supergraph) : null;
  const usages = fetch.variableUsages ?? [];
  const { serviceName } = fetch;

  async function send(run: PlanRun, cursor: Cursor, variables: Variables): Promise<ResultMap | null | undefined> {
    const service = run.services[serviceName];
    if (!service) throw new Error(`Couldn't find service with name "${serviceName}"`);
    const operation = { query: fetch.operation, variables, operationName: fetch.operationName };
    const response = await inChildSpan('gateway.fetch', { service: serviceName }, () =>
      isDirectSource(service)
        ? service.fetchOperation(operation, run.requestContext.context as never, run.requestContext)
        : service.process({
            // GraphQLDataSourceRequestKind.INCOMING_OPERATION (the enum is not exported).
            kind: 'incoming operation' as never,
            request: operation,
            incomingRequestContext: run.requestContext as never,
            context: run.requestContext.context as never,
            document: fetch.operationDocumentNode,
            pathInIncomingRequest: cursor.path,
          }),
    );
    if (response.errors) {
      const pathOf = errorPathGenerator(fetch, cursor);
      for (const error of response.errors) run.errors.push(downstreamServiceError(error, serviceName, pathOf));
      const metrics = run.requestContext.metrics;
      if (metrics && !response.extensions?.ftv1) {
        const paths = response.errors.map((error) => ({ subgraph: serviceName, path: error.path }));
        if (metrics.nonFtv1ErrorPaths) metrics.nonFtv1ErrorPaths.push(...paths);
        else metrics.nonFtv1ErrorPaths = paths;
      }
    }
    return response.data as ResultMap | null | undefined;
  }

  async function execute(run: PlanRun, cursor: Cursor): Promise<void> {
    const entities: ResultMap[] = Array.isArray(cursor.data) ? cursor.data.filter((e) => e !== null && e !== undefined) : [cursor.data];
    if (entities.length < 1) return;
    const variables = Object.create(null) as Variables;
    const provided = run.variables;
    if (provided) {
      for (const name of usages) {
        if (Object.hasOwn(provided, name) && provided[name] !== undefined) variables[name] = provided[name];
      }
    }
    if (!represent) {
      const data = await send(run, cursor, variables);
      for (const entity of entities) deepMerge(entity, data);
      return;
    }
    const representations: ResultMap[] = [];
    const owners: ResultMap[] = [];
    for (const entity of entities) {
      const representation = represent(entity);
      if (representation && representation.__typename) {
        representations.push(representation);
        owners.push(entity);
      }
    }
    if (representations.length < 1) return;
    if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');
    const data = await send(run, cursor, { ...variables, representations });
    if (!data) return;
    const received = data._entities;
    if (!Array.isArray(received)) throw new Error('Expected "data._entities" in response to be an array');
    if (received.length !== representations.length) throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
    for (let i = 0; i < received.length; i++) {
      const entity = received[i] as ResultMap | null;
      if (entity && !entity.__typename) entity.__typename = owners[i]!.__typename;
      deepMerge(owners[i], entity);
    }
  }

  return async (run, cursor) => {
    try {
      await execute(run, cursor);
    } catch (error) {
      run.errors.push(error);
    }
  };
}

type Represent = (source: ResultMap | null) => ResultMap | null;

/** A fetch's `requires` selection as a function from an entity to its representation. */
function compileRequires(selections: QueryPlanSelectionNode[], supergraph: GraphQLSchema): Represent {
  const parts = selections.map((selection): ((source: ResultMap, result: ResultMap) => boolean) | null => {
    if (selection.kind === 'Field') {
      const responseName = selection.alias ?? selection.name;
      const sub = selection.selections ? compileRequires(selection.selections, supergraph) : null;
      return (source, result) => {
        const value = Object.hasOwn(source, responseName) ? source[responseName] : undefined;
        if (value === undefined) return false;
        if (Array.isArray(value)) result[responseName] = sub ? value.map((v) => sub(v as ResultMap | null)) : value.slice();
        else result[responseName] = sub ? sub(value as ResultMap | null) : value;
        return true;
      };
    }
    if (!selection.typeCondition) return null;
    const sub = compileRequires(selection.selections, supergraph);
    const isOfType = objectOfType(supergraph, selection.typeCondition);
    return (source, result) => {
      if (isOfType(source)) deepMerge(result, sub(source));
      return true;
    };
  });
  const steps = parts.filter((p) => p !== null);
  return (source) => {
    if (source === null) return null;
    const result = Object.create(null) as ResultMap;
    for (const step of steps) if (!step(source, result)) return null;
    return result;
  };
}

/** @apollo/gateway's isObjectOfType, with the answer per __typename remembered. */
function objectOfType(schema: GraphQLSchema, condition: string): (object: ResultMap) => boolean {
  const answers = new Map<string, boolean>();
  return (object) => {
    const typename = object.__typename;
    if (!typename || typeof typename !== 'string') return false;
    let answer = answers.get(typename);
    if (answer === undefined) {
      const type = schema.getType(typename);
      const conditional = schema.getType(condition);
      answer =
        typename === condition ||
        (!!type && !!conditional && isAbstractType(conditional) && (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(conditional, type));
      answers.set(typename, answer);
    }
    return answer;
  };
}

function flattenResultsAtPath(value: unknown, path: ResponsePath): ResultMap | ResultMap[] | null | undefined {
  if (path.length === 0) return value as ResultMap;
  if (value === undefined || value === null) return value;
  const [current, ...rest] = path;
  if (current === '@') return (value as unknown[]).flatMap((element) => flattenResultsAtPath(element, rest) as never);
  if (typeof current !== 'string') throw new Error(`Unexpected ${typeof current} found in path`);
  if (Array.isArray(value)) throw new Error(`Unexpected array in result for path element ${current}`);
  const object = value as ResultMap;
  return flattenResultsAtPath(Object.hasOwn(object, current) ? object[current] : undefined, rest);
}

/** @apollo/gateway's deepMerge: the fetched data merged into the response in place. */
export function deepMerge(target: unknown, source: unknown): unknown {
  if (source === undefined || source === null) return target;
  const t = target as ResultMap;
  const s = source as ResultMap;
  for (const key of Object.keys(s)) {
    const value = s[key];
    if (value === undefined) continue;
    if (!Object.hasOwn(t, key)) t[key] = undefined;
    const existing = t[key];
    if (existing && isObject(value)) {
      deepMerge(existing, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        if (isObject(existing[i]) && isObject(value[i])) deepMerge(existing[i], value[i]);
        else existing[i] = value[i];
      }
    } else {
      t[key] = value;
    }
  }
  return target;
}

function isObject(value: unknown): value is ResultMap {
  return value !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value);
}

type ErrorPath = readonly (string | number)[] | undefined;

/** Error paths as Apollo reports them: an `_entities` index replaced by the entity's path in the response. */
function errorPathGenerator(fetch: FetchNode, cursor: Cursor): (path: ErrorPath) => ErrorPath {
  let hydrated: ResponsePath[] | undefined;
  return (errorPath) => {
    if (fetch.requires && typeof errorPath?.[1] === 'number') {
      if (!hydrated) {
        hydrated = [];
        hydratePaths([], cursor.path, cursor.fullResult, hydrated);
      }
      return [...(hydrated[errorPath[1]] ?? []), ...errorPath.slice(2)];
    }
    return errorPath ? [...cursor.path, ...errorPath] : undefined;
  };
}

function hydratePaths(parent: ResponsePath, path: ResponsePath, data: unknown, result: ResponsePath[]): void {
  const head = path[0];
  if (data === null || data === undefined) return;
  if (head === undefined || head === null) {
    result.push(parent.slice());
  } else if (head === '@') {
    if (!Array.isArray(data)) throw new Error('expected array when encountering `@`');
    data.forEach((value, i) => {
      parent.push(i);
      hydratePaths(parent, path.slice(1), value, result);
      parent.pop();
    });
  } else if (typeof head === 'string') {
    if (Array.isArray(data)) {
      data.forEach((value, i) => {
        parent.push(i);
        hydratePaths(parent, path, value, result);
        parent.pop();
      });
    } else if (Object.hasOwn(data as ResultMap, head)) {
      parent.push(head);
      hydratePaths(parent, path.slice(1), (data as ResultMap)[head], result);
      parent.pop();
    }
  } else {
    throw new Error(`unknown path part "${String(head)}"`);
  }
}

function downstreamServiceError(original: GraphQLFormattedError, serviceName: string, pathOf: (path: ErrorPath) => ErrorPath): GraphQLError {
  const message = original.message || `Error while fetching subquery from service "${serviceName}"`;
  const { extensions } = original;
  const options = { originalError: original as Error, path: pathOf(original.path), extensions: { ...extensions, serviceName } };
  const code = errorCodeDef(original);
  if (!code && extensions?.code) return new GraphQLError(message, options);
  return (code ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}
