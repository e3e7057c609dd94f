import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { IDENTITY_HEADER, signIdentity } from '@finder/platform/auth';
import { REQUEST_ID_HEADER } from '@finder/platform/config';
import type { GatewayContext } from './context.ts';
import { createSubgraphFetcher } from './subgraph-fetcher.ts';

/**
 * Every subgraph request carries the caller's identity signed with the shared secret (and the
 * request id), so subgraphs trust the gateway and nothing else.
 */
export class SignedSubgraphSource extends RemoteGraphQLDataSource<GatewayContext> {
  readonly #secret: string;

  constructor(url: string, secret: string, timeoutMs: number) {
    super({ url, fetcher: createSubgraphFetcher({ timeoutMs }) as never });
    this.#secret = secret;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.set(IDENTITY_HEADER, signIdentity(context?.viewer ?? null, this.#secret));
    if (context?.requestId) headers.set(REQUEST_ID_HEADER, context.requestId);
  }
}
