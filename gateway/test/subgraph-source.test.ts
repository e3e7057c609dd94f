/**
 * The compiled executor sends through `fetchOperation`, Apollo's executor through `process`: over
 * a real HTTP server answering in every way a subgraph (or what stands before it) can, both must
 * send the same request and come back with the same answer, error or cache hint.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IDENTITY_HEADER, subgraphIdentitySecret, verifyIdentity } from '@finder/platform/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../src/context.ts';
import { SignedSubgraphSource } from '../src/subgraph-source.ts';

const SECRET = 'a-gateway-identity-secret-of-enough-length-0123456789';

interface Answer {
  status: number;
  type?: string;
  cacheControl?: string;
  body: string;
}

const ANSWERS: Record<string, Answer> = {
  data: { status: 200, type: 'application/json; charset=utf-8', body: '{"data":{"me":{"id":"u1"}}}' },
  errors: { status: 200, type: 'application/json', body: '{"data":{"me":null},"errors":[{"message":"boom","path":["me"],"extensions":{"code":"X"}}]}' },
  graphqlResponseType: { status: 200, type: 'application/graphql-response+json', body: '{"data":{"a":1}}' },
  cacheable: { status: 200, type: 'application/json', cacheControl: 'max-age=30, private', body: '{"data":{"a":1}}' },
  public: { status: 200, type: 'application/json', cacheControl: 'public, max-age="12"', body: '{"data":{"a":1}}' },
  textOk: { status: 200, type: 'text/plain', body: 'all good' },
  jsonArray: { status: 200, type: 'application/json', body: '[1,2]' },
  unauthenticated: { status: 401, type: 'application/json', body: '{"errors":[{"message":"no"}]}' },
  forbidden: { status: 403, type: 'text/plain', body: 'forbidden' },
  badGateway: { status: 502, type: 'text/html', body: '<html>bad gateway</html>' },
  noType: { status: 500, body: 'oops' },
};

let server: Server;
let base: string;
const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const answer = ANSWERS[req.url!.slice(1)]!;
      res.statusCode = answer.status;
      if (answer.type) res.setHeader('content-type', answer.type);
      if (answer.cacheControl) res.setHeader('cache-control', answer.cacheControl);
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const context: GatewayContext = { viewer: { id: 'u1', role: 'BUSINESS', sessionId: 's1' } as GatewayContext['viewer'], requestId: 'req-1', address: '127.0.0.1' };
const operation = { query: 'query Q__users__0($id:ID){me{id}}', variables: { id: 'u1' }, operationName: 'Q__users__0' };

/** The request as the server saw it, with the identity checked and its signing time left out. */
function request(index: number, audience: string) {
  const { headers, body, url } = received[index]!;
  const identity = verifyIdentity(headers[IDENTITY_HEADER] as string, subgraphIdentitySecret(SECRET, audience), { audience, method: 'POST', body });
  const { [IDENTITY_HEADER]: _identity, traceparent: _traceparent, host: _host, connection: _connection, ...rest } = headers;
  return { url, body, identity, headers: rest };
}

async function outcome(run: () => Promise<unknown>) {
  try {
    const { http: _http, ...response } = (await run()) as Record<string, unknown>;
    return { response };
  } catch (err) {
    const error = err as Error & { extensions?: unknown };
    return { thrown: { type: error.constructor.name, message: error.message, extensions: error.extensions } };
  }
}

describe('fetchOperation against Apollo\'s process', () => {
  for (const name of Object.keys(ANSWERS)) {
    it(`sends and reads the same: ${name}`, async () => {
      const source = new SignedSubgraphSource('users', `${base}/${name}`, SECRET, 5_000);
      const hints: { apollo: unknown[]; direct: unknown[] } = { apollo: [], direct: [] };
      const policy = (into: unknown[]) => ({ overallCachePolicy: { restrict: (hint: unknown) => into.push(hint) } });
      const first = received.length;
      const apollo = await outcome(() =>
        source.process({
          kind: 'incoming operation' as never,
          request: { ...operation },
          incomingRequestContext: policy(hints.apollo) as never,
          context,
          pathInIncomingRequest: [],
        }),
      );
      const direct = await outcome(() => source.fetchOperation({ ...operation }, context, policy(hints.direct)));
      expect(direct).toEqual(apollo);
      expect(hints.direct).toEqual(hints.apollo);
      expect(hints.apollo).toHaveLength(ANSWERS[name]!.status < 300 && apollo.response ? 1 : 0);
      const [sentByApollo, sentDirect] = [request(first, 'users'), request(first + 1, 'users')];
      expect(sentDirect).toEqual(sentByApollo);
      expect(sentDirect.identity).toEqual({ ok: true, viewer: context.viewer });
      expect(sentDirect.headers['x-request-id']).toBe('req-1');
    });
  }

  it('sends an anonymous caller and a mutation the same way too', async () => {
    const source = new SignedSubgraphSource('chat', `${base}/data`, SECRET, 5_000);
    const mutation = { query: 'mutation M__chat__0{send}', variables: {}, operationName: 'M__chat__0' };
    const anonymous: GatewayContext = { viewer: null, requestId: 'req-2', address: '127.0.0.1' };
    const first = received.length;
    const apollo = await outcome(() => source.process({ kind: 'incoming operation' as never, request: { ...mutation }, incomingRequestContext: {} as never, context: anonymous, pathInIncomingRequest: [] }));
    const direct = await outcome(() => source.fetchOperation({ ...mutation }, anonymous, {}));
    expect(direct).toEqual(apollo);
    expect(request(first + 1, 'chat')).toEqual(request(first, 'chat'));
    expect(request(first + 1, 'chat').identity).toEqual({ ok: true, viewer: null });
  });
});
