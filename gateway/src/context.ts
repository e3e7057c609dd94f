import type { IncomingMessage } from 'node:http';
import { bearerToken, type TokenVerifier, type Viewer } from '@finder/platform/auth';
import { requestIdFrom } from '@finder/platform/config';
import { GraphQLError } from 'graphql';
import type { ClientAddress } from './client-address.ts';
import type { HandedOver } from './handover.ts';

export interface GatewayContext {
  viewer: Viewer | null;
  requestId: string;
  /** The client's address (client-address.ts), which anonymous budgets count by. */
  address: string;
  /** Set when the direct path (direct-answers.ts) started the request and left Apollo Server to answer it. */
  handedOver?: HandedOver;
}

/**
 * No token means anonymous; a bad or expired token is an error, never a silent downgrade to
 * anonymous, so clients learn to refresh.
 */
export async function createGatewayContext(req: IncomingMessage, verifier: TokenVerifier, clientAddress: ClientAddress): Promise<GatewayContext> {
  const requestId = requestIdFrom(req.headers);
  const address = clientAddress(req);
  try {
    const token = bearerToken(req.headers.authorization);
    return { viewer: token ? await verifier.verify(token) : null, requestId, address };
  } catch (err) {
    if (err instanceof GraphQLError) {
      throw new GraphQLError(err.message, { extensions: { ...err.extensions, http: { status: 401 } } });
    }
    throw err;
  }
}
