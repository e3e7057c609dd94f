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
    connectionParams: () => (accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    // Closed for a bad or expired token (4401): retrying with the same token cannot help.
    shouldRetry: (event) => !(typeof event === 'object' && event !== null && 'code' in event && (event as CloseEvent).code === 4401),
  });
  const fetcher = createGraphiQLFetcher({ url: graphqlUrl(), wsClient, enableIncrementalDelivery: false });
  return { fetcher, wsClient };
}
