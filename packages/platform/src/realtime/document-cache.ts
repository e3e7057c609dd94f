import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

export type ParsedDocument = { document: DocumentNode } | { errors: GraphQLError[] };

/**
 * Parses and validates each distinct query text once. Subscriptions that send the same text (the
 * clients of one app; the gateway's upstream subscriptions of a per-viewer stream, which differ
 * only in variables and identity) then share one parsed document: its tokens and locations are
 * most of a subscription's memory, and parsing and validating is most of the cost of starting one.
 * Documents are never mutated by execution, so sharing them is safe. Errors carry
 * `GRAPHQL_PARSE_FAILED` or `GRAPHQL_VALIDATION_FAILED`.
 */
export function createDocumentCache(schema: GraphQLSchema, options: { size?: number; maxTokens?: number } = {}) {
  const size = options.size ?? 1_000;
  const cache = new Map<string, ParsedDocument>();
  return (query: string): ParsedDocument => {
    const cached = cache.get(query);
    if (cached) {
      cache.delete(query);
      cache.set(query, cached);
      return cached;
    }
    let document: DocumentNode;
    try {
      document = parse(query, options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens });
    } catch (err) {
      return { errors: [withCode(err as GraphQLError, 'GRAPHQL_PARSE_FAILED')] };
    }
    const errors = validateDocument(schema, document);
    const result: ParsedDocument = errors.length > 0 ? { errors: errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')) } : { document };
    // Only valid documents are kept: invalid ones must not evict what real clients use.
    if ('document' in result) {
      cache.set(query, result);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
    }
    return result;
  };
}

/**
 * graphql-js 16's SingleFieldSubscriptionsRule evaluates `@skip`/`@include` on a subscription's
 * root fields without variables and throws when their argument is a variable. The spec forbids
 * those directives there, so the document is what is wrong: answered as a validation error.
 */
function validateDocument(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
  try {
    return validate(schema, document);
  } catch (err) {
    if (!(err instanceof GraphQLError)) throw err;
    return [new GraphQLError('A subscription must not use @skip or @include on its root field', { nodes: err.nodes })];
  }
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}
