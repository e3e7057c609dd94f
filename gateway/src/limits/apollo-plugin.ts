import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '@finder/platform/config';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../context.ts';
import type { Budgets } from './budgets.ts';
import { isTokenLimitError, type OperationLimits } from './operation-limits.ts';

/**
 * Applies the operation limits to HTTP requests once Apollo Server has parsed and validated the
 * document (both cached per query text) and picked the operation, then charges the caller's
 * budgets (budgets.ts), all before any subgraph is asked. A limit refusal answers 400, a budget
 * refusal 429 with Retry-After, each with its coded error.
 */
export function operationLimitsPlugin(limits: OperationLimits, budgets: Budgets): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let loginAccounts: string[] = [];
      return {
        async didResolveOperation({ document, operationName, request, contextValue }) {
          const { refusal, estimate } = limits.measure(document, operationName, request.variables);
          if (refusal) {
            throw new GraphQLError(refusal.message, { extensions: { ...refusal.extensions, http: { status: 400 } } });
          }
          try {
            // A request the direct path handed over was charged there, once.
            ({ loginAccounts } = await (contextValue.handedOver?.charge ?? budgets.charge(contextValue, document, operationName, request.variables, estimate)));
          } catch (err) {
            if (!(err instanceof GraphQLError)) throw err;
            const retryAfter = String(Math.ceil(Number(err.extensions.retryAfterMs) / 1000));
            throw new GraphQLError(err.message, { extensions: { ...err.extensions, http: { status: 429, headers: new Map([['retry-after', retryAfter]]) } } });
          }
        },
        async willSendResponse({ response }) {
          if (loginAccounts.length === 0 || response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (data && !errors?.length) await budgets.refundLogins(loginAccounts);
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
