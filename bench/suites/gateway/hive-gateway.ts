/**
 * The Hive peer: `@graphql-hive/gateway`'s runtime on a node:http server with default settings,
 * plus the identity forwarding our subgraphs require (peer-identity.ts), as a header propagation
 * computed once per client request. PORT, SUPERGRAPH_PATH.
 */
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { IDENTITY_HEADER } from '@finder/platform/auth';
import { createPeerIdentity } from './peer-identity.ts';

const identity = await createPeerIdentity(process.env);
const signed = new WeakMap<Request, Promise<string>>();
const identityOf = (request: Request) => {
  let header = signed.get(request);
  if (!header) {
    header = identity.viewerOf(request.headers.get('authorization')).then(identity.sign);
    signed.set(request, header);
  }
  return header;
};

const gateway = createGatewayRuntime({
  supergraph: process.env.SUPERGRAPH_PATH!,
  logging: 'warn',
  propagateHeaders: {
    fromClientToSubgraphs: async ({ request }) => ({ [IDENTITY_HEADER]: await identityOf(request) }),
  },
});
createServer(gateway).listen(Number(process.env.PORT), '127.0.0.1');
