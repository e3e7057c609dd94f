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

const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * The gateway's last word on an error, over HTTP and WebSocket: the parser's token limit, which
 * surfaces as a parse failure, is shown as the limit it is; in production, validation messages lose
 * their "Did you mean …?" hints, which would otherwise spell out the schema to a client that has
 * no introspection (HTTP also sets Apollo's hideSchemaDetailsFromClientErrors).
 */
export function gatewayErrors(format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError, options: { production: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' && isTokenLimitError(formatted)) {
      formatted = { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.OPERATION_LIMIT } };
    }
    if (options.production && SUGGESTION.test(formatted.message)) {
      formatted = { ...formatted, message: formatted.message.replace(SUGGESTION, '') };
    }
    SUGGESTION.lastIndex = 0;
    return format(formatted, error);
  };
}
