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

class IdentityForwardingSource extends RemoteGraphQLDataSource<Context> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>): void {
    request.http?.headers.set(IDENTITY_HEADER, identity.sign(context?.viewer ?? null));
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.SUPERGRAPH_PATH!, 'utf8'),
  buildService: ({ url }) => new IdentityForwardingSource({ url }),
});
const server = new ApolloServer<Context>({ gateway });
await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT), host: '127.0.0.1' },
  context: async ({ req }) => ({ viewer: await identity.viewerOf(req.headers.authorization) }),
});
