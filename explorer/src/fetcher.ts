import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { createClient, type Client } from 'graphql-ws';
import { graphqlUrl, graphqlWsUrl } from './endpoints.ts';

/**
 * Queries and mutations over HTTP (with the headers editor's headers), subscriptions over
 * graphql-ws with the access token in `connection_init`. One fetcher per token: signing in or out
 * makes a new one, whose socket carries the new token (the old socket is closed).
 */
export function createExplorerFetcher(accessToken: string | null): { fetcher: Fetcher; wsClient: Client } {
  const wsClient = createClient({
    url: graphqlWsUrl(),
    lazy: true,
    // Without a token the gateway acknowledges the connection and refuses each subscription with
    // UNAUTHENTICATED; a 4401 close (bad or expired token) is final for graphql-ws: sign in again.
    connectionParams: () => (accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
  });
  const fetcher = createGraphiQLFetcher({ url: graphqlUrl(), wsClient, enableIncrementalDelivery: false });
  return { fetcher, wsClient };
}
