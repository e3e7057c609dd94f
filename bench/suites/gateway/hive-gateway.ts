/**
 * The Hive peer: `@graphql-hive/gateway`'s runtime on a node:http server with default settings,
 * plus the identity forwarding our subgraphs require (peer-identity.ts), as a header propagation
 * computed once per client request. PORT, SUPERGRAPH_PATH; HIVE_DEDUPLICATE=false turns off its
 * in-flight deduplication of subgraph requests (on by default).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { IDENTITY_HEADER, type Viewer } from '@finder/platform/auth';
import { createPeerIdentity } from './peer-identity.ts';

const identity = await createPeerIdentity(process.env);
const viewers = new WeakMap<Request, Promise<string>>();
/** The caller's viewer, noted once per client request; onFetch signs it with each body. */
const viewerOf = (request: Request) => {
  let noted = viewers.get(request);
  if (!noted) {
    noted = identity.viewerOf(request.headers.get('authorization')).then((viewer) => JSON.stringify({ viewer }));
    viewers.set(request, noted);
  }
  return noted;
};
// Subgraph names by URL, as the supergraph declares them: the signature's audience.
const names = new Map<string, string>();
for (const [, name, url] of readFileSync(process.env.SUPERGRAPH_PATH!, 'utf8').matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) {
  names.set(url!, name!);
}

const gateway = createGatewayRuntime({
  supergraph: process.env.SUPERGRAPH_PATH!,
  logging: 'warn',
  ...(process.env.HIVE_DEDUPLICATE === 'false' ? { transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } } } : {}),
  propagateHeaders: {
    fromClientToSubgraphs: async ({ request }) => ({ [IDENTITY_HEADER]: await viewerOf(request) }),
  },
  plugins: () => [
    {
      onFetch({ url, options, setOptions }) {
        const headers = { ...(options.headers as Record<string, string> | undefined) };
        const noted = headers[IDENTITY_HEADER];
        if (!noted) return;
        const { viewer } = JSON.parse(noted) as { viewer: Viewer | null };
        const body = typeof options.body === 'string' ? options.body : undefined;
        const scope = { audience: names.get(url) ?? '', method: options.method ?? 'GET', body };
        setOptions({ ...options, headers: { ...headers, [IDENTITY_HEADER]: identity.sign(viewer, scope) } });
      },
    },
  ],
});
createServer(gateway).listen(Number(process.env.PORT), '127.0.0.1');
