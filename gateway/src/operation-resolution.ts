import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';

/**
 * A request whose `operationName` names no operation of its document (or that names none in a
 * document with several) has nothing to run. Apollo Server hands it to the gateway all the same,
 * which throws ("Unknown operation named …") and is reported as a 500: refused here as the
 * client's error, before the other plugins look at the operation.
 */
export function operationResolutionPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          const message = request.operationName
            ? `Unknown operation named "${request.operationName}"`
            : 'Must provide operationName when the document contains several operations';
          throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
        },
      };
    },
  };
}
