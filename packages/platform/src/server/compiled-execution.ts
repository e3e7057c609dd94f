import type { IncomingMessage } from 'node:http';
import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { Counter, type Registry } from 'prom-client';
import { createDocumentCache } from '../realtime/document-cache.ts';

/** How many documents stay parsed and compiled (the gateway sends a few dozen distinct ones). */
const MAX_DOCUMENTS = 500;
/** Longer texts go to Apollo Server, whose parser bounds them. */
const MAX_QUERY_LENGTH = 100_000;
/** Introspection is answered by Apollo Server (graphql-js's own resolvers), not compiled. */
export const INTROSPECTION = /\b__(schema|type)\b/;
/**
 * graphql-jit keeps a field excluded by `@skip`/`@include` in the place of its first mention,
 * where graphql-js places it where it is first included: the same data in another key order.
 */
const CONDITIONAL = /@(skip|include)\b/;

export interface CompiledAnswer {
  status: number;
  body: string;
}

export interface CompiledExecutionOptions<TContext> {
  schema: GraphQLSchema;
  context: (req: IncomingMessage) => Promise<TContext>;
  /** Counts requests by who answered them: `compiled`, or `apollo` (handed to Apollo Server). */
  registry?: Registry;
}

/**
 * A subgraph's queries run as code compiled once per document (graphql-jit) rather than through
 * Apollo Server's request pipeline and graphql-js's interpreter: in a profile of the finder server
 * under the gateway bench's heavy shape, graphql-js execution took a third of its CPU, Apollo
 * Server's pipeline and its JSON answer most of a fifth.
 *
 * Only answers that are Apollo Server's exactly leave this path: the data of a query that
 * completed without an error. A query with any error is answered by Apollo Server, run again from
 * the start (queries read; running one twice changes nothing): where a non-null field fails,
 * graphql-js stops resolving its siblings and reports that one error, while compiled code resolves
 * them and reports theirs too. Mutations go to Apollo Server for the same reason (after a failed
 * root field graphql-js runs no further one), and so does anything else this path does not
 * handle the same way: a document that does not parse or validate, introspection, `@skip` and
 * `@include` (see CONDITIONAL), variables that do not coerce, GET requests, batches, extensions,
 * and answers in another media type. The gateway's differential suite runs every subgraph request
 * of its 2,000 random operations both ways (mock-subgraph.ts).
 */
export function createCompiledExecution<TContext>(options: CompiledExecutionOptions<TContext>) {
  const compiledFor = createDocumentCompiler(options.schema);
  const answered = new Counter({
    name: 'graphql_compiled_execution_total',
    help: 'GraphQL requests over HTTP by who answered them: compiled code, or Apollo Server',
    labelNames: ['by'],
    registers: options.registry ? [options.registry] : [],
  });
  const byCompiled = answered.labels('compiled');
  const byApollo = answered.labels('apollo');

  async function answer(req: IncomingMessage, body: unknown): Promise<CompiledAnswer | null> {
    if (req.method !== 'POST' || !acceptsJson(req.headers.accept)) return null;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
    const { query, operationName, variables, extensions, ...rest } = body as Record<string, unknown>;
    if (typeof query !== 'string' || extensions !== undefined || Object.keys(rest).length > 0) return null;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
    let result: ExecutionResult;
    try {
      const compiled = compiledFor(query, operationName ?? undefined);
      if (!compiled) return null;
      const context = await options.context(req);
      result = (await compiled.query(undefined, context, (variables ?? {}) as Record<string, unknown>)) as ExecutionResult;
    } catch {
      // Resolver errors land in `errors`; anything thrown here is the compiler's, the context's or
      // the compiled code's own, and Apollo Server answers the query as it would have without this path.
      return null;
    }
    // Errors: Apollo Server answers the query again, from scratch (see above).
    if (result.errors?.length) return null;
    return { status: 200, body: `${JSON.stringify({ data: result.data })}\n` };
  }

  return {
    /** The answer to `body`, or null when Apollo Server should answer it. */
    async execute(req: IncomingMessage, body: unknown): Promise<CompiledAnswer | null> {
      const result = await answer(req, body);
      (result ? byCompiled : byApollo).inc();
      return result;
    },
  };
}

/**
 * Compiles documents for `schema`, each once: parsed and validated through the document cache the
 * subgraph's WebSocket side uses too (bounded), compiled per document and operation name. Null
 * for one that the compiled path leaves to Apollo Server (see createCompiledExecution).
 */
export function createDocumentCompiler(schema: GraphQLSchema): (query: string, operationName?: string) => CompiledQuery | null {
  const parsed = createDocumentCache(schema, { size: MAX_DOCUMENTS });
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

  return (query, operationName) => {
    if (query.length > MAX_QUERY_LENGTH || INTROSPECTION.test(query) || CONDITIONAL.test(query)) return null;
    const result = parsed(query);
    if (!('document' in result)) return null;
    const { document } = result;
    const operations = document.definitions.filter((d) => d.kind === 'OperationDefinition');
    const operation = operationName === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === operationName);
    if (!operation || operation.operation !== 'query') return null;
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    let found = byName.get(operationName ?? '');
    if (found === undefined) {
      const attempt = compileQuery(schema, document, operationName);
      found = isCompiledQuery(attempt) ? attempt : null;
      byName.set(operationName ?? '', found);
    }
    return found;
  };
}

/** Apollo Server answers `application/json` unless a client prefers the GraphQL response type. */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return !accept.includes('graphql-response+json') && (accept.includes('application/json') || accept.includes('*/*'));
}
