import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { IDENTITY_HEADER, signIdentity, type Viewer } from '@finder/platform/auth';
import { REQUEST_ID_HEADER } from '@finder/platform/config';
import { injectTraceHeaders } from '@finder/platform/telemetry';
import type { GatewayContext } from './context.ts';
import { createInflightMerge, isQueryText } from './inflight-merge.ts';
import { createSubgraphFetcher, type SubgraphRequestInit, type SubgraphResponse } from './subgraph-fetcher.ts';
import type { SubgraphFetchMetrics } from './subgraph-metrics.ts';

/**
 * Every subgraph request carries the caller's identity signed with the gateways' private identity
 * key (and the request id), so subgraphs trust the gateway and nothing else. The signature covers this
 * subgraph's name, the method and the exact body bytes sent (identity.ts). Apollo serializes the
 * body after willSendRequest (with `query` moved first), so willSendRequest only notes the viewer
 * in the identity header and the fetcher, which is handed the very string it sends, signs it.
 * With `mergeInflight`, identical queries for the same viewer in flight at once share one fetch.
 */
export class SignedSubgraphSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    name: string,
    url: string,
    identitySecret: string,
    timeoutMs: number,
    metrics?: SubgraphFetchMetrics,
    options: { mergeInflight?: boolean; onMerged?: (subgraph: string) => void } = {},
  ) {
    const fetch = createSubgraphFetcher({ timeoutMs });
    const merge = options.mergeInflight ? createInflightMerge<SubgraphResponse>(() => options.onMerged?.(name)) : null;
    const signed = (target: string, init: SubgraphRequestInit = {}) => {
      const pending = init.headers?.[IDENTITY_HEADER];
      const noted = pending ? (JSON.parse(pending) as { viewer: Viewer | null; query?: boolean }) : { viewer: null };
      if (merge && noted.query && typeof init.body === 'string') {
        return merge.run(`${target}\n${JSON.stringify(noted.viewer)}\n${init.body}`, () => send(target, init, noted.viewer));
      }
      return send(target, init, noted.viewer);
    };
    const send = (target: string, init: SubgraphRequestInit, viewer: Viewer | null): Promise<SubgraphResponse> => {
      const headers = { ...init.headers };
      const method = init.method ?? 'GET';
      headers[IDENTITY_HEADER] = signIdentity(viewer, identitySecret, { audience: name, method, body: init.body });
      // Apollo's gateway.fetch span is active here: the subgraph continues its trace.
      injectTraceHeaders(headers);
      if (!metrics) return fetch(target, { ...init, method, headers });
      const started = performance.now();
      return fetch(target, { ...init, method, headers }).then(
        (response) => (metrics.observe(name, started, response), response),
        (err: Error) => {
          metrics.observe(name, started, err);
          throw err;
        },
      );
    };
    super({ url, fetcher: signed as never });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    // Replaced by the signature in the fetcher above; never sent as is. `query` tells the
    // fetcher the request may share an identical one in flight (never a mutation).
    headers.set(IDENTITY_HEADER, JSON.stringify({ viewer: context?.viewer ?? null, query: isQueryText(request.query) }));
    if (context?.requestId) headers.set(REQUEST_ID_HEADER, context.requestId);
  }
}
