/**
 * The vanilla peer: `@apollo/gateway` + `@apollo/server` (standalone) with default settings,
 * plus the identity forwarding our subgraphs require (peer-identity.ts). PORT, SUPERGRAPH_PATH.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { IDENTITY_HEADER, type Viewer } from '@finder/platform/auth';
import { createPeerIdentity } from './peer-identity.ts';

interface Context {
  viewer: Viewer | null;
}

const identity = await createPeerIdentity(process.env);

/** As ours (gateway/src/subgraph-source.ts): the viewer is noted, the fetcher signs the bytes it sends. */
class IdentityForwardingSource extends RemoteGraphQLDataSource<Context> {
  constructor(name: string, url: string | undefined) {
    super({ url });
    const send = this.fetcher;
    this.fetcher = ((target: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
      const { viewer } = JSON.parse(init.headers?.[IDENTITY_HEADER] ?? '{"viewer":null}') as { viewer: Viewer | null };
      const method = init.method ?? 'GET';
      const headers = { ...init.headers, [IDENTITY_HEADER]: identity.sign(viewer, { audience: name, method, body: init.body }) };
      return send(target, { ...init, headers } as never);
    }) as never;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>): void {
    request.http?.headers.set(IDENTITY_HEADER, JSON.stringify({ viewer: context?.viewer ?? null }));
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.SUPERGRAPH_PATH!, 'utf8'),
  buildService: ({ name, url }) => new IdentityForwardingSource(name, url),
});
const server = new ApolloServer<Context>({ gateway });
await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT), host: '127.0.0.1' },
  context: async ({ req }) => ({ viewer: await identity.viewerOf(req.headers.authorization) }),
});
