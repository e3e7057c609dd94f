import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '@finder/platform/config';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isTokenLimitError, type OperationLimits } from './operation-limits.ts';

/**
 * Applies the operation limits to HTTP requests once Apollo Server has parsed and validated the
 * document (both cached per query text) and picked the operation, before any subgraph is asked.
 * A refusal answers 400 with its coded error.
 */
export function operationLimitsPlugin(limits: OperationLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, request }) {
          const refusal = limits.check(document, operationName, request.variables);
          if (refusal) {
            throw new GraphQLError(refusal.message, { extensions: { ...refusal.extensions, http: { status: 400 } } });
          }
        },
      };
    },
  };
}

/** The parser's token limit surfaces as a parse failure; clients see it as the limit it is. */
export function withLimitCodes(format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' && isTokenLimitError(formatted)) {
      formatted = { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.OPERATION_LIMIT } };
    }
    return format(formatted, error);
  };
}
