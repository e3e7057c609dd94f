import type { IncomingMessage } from 'node:http';
import { bearerToken, type TokenVerifier, type Viewer } from '@finder/platform/auth';
import { requestIdFrom } from '@finder/platform/config';
import { GraphQLError } from 'graphql';

export interface GatewayContext {
  viewer: Viewer | null;
  requestId: string;
}

/**
 * No token means anonymous; a bad or expired token is an error, never a silent downgrade to
 * anonymous, so clients learn to refresh.
 */
export async function createGatewayContext(req: IncomingMessage, verifier: TokenVerifier): Promise<GatewayContext> {
  const requestId = requestIdFrom(req.headers);
  try {
    const token = bearerToken(req.headers.authorization);
    return { viewer: token ? await verifier.verify(token) : null, requestId };
  } catch (err) {
    if (err instanceof GraphQLError) {
      throw new GraphQLError(err.message, { extensions: { ...err.extensions, http: { status: 401 } } });
    }
    throw err;
  }
}
