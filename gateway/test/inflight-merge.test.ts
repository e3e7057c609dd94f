import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IDENTITY_HEADER, subgraphIdentitySecret, verifyIdentity, type Viewer } from '@finder/platform/auth';
import { randomSecret } from '@finder/testing/keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isQueryText } from '../src/inflight-merge.ts';
import { SignedSubgraphSource } from '../src/subgraph-source.ts';

/**
 * GATEWAY_MERGE_INFLIGHT against a real HTTP subgraph that answers after 100 ms and counts what
 * it is sent: identical queries for one viewer in flight at once reach it once, and nothing
 * else is merged (another viewer, other variables, a mutation, a query sent after the first answered).
 */
const identitySecret = randomSecret();
let server: Server;
let url: string;
const received: { viewer: string | null; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const identity = verifyIdentity(req.headers[IDENTITY_HEADER] as string, subgraphIdentitySecret(identitySecret, 'posts'), { audience: 'posts', method: req.method ?? 'POST', body });
      if (!identity.ok) {
        res.statusCode = 401;
        return res.end(identity.reason);
      }
      received.push({ viewer: identity.viewer?.id ?? null, body: body.toString() });
      const n = received.length;
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { n } }));
      }, 100);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const viewer = (id: string): Viewer => ({ id, role: 'BUSINESS', sessionId: `session-${id}` });

function send(source: SignedSubgraphSource, query: string, who: Viewer | null, variables: Record<string, unknown> = {}) {
  return source.process({
    kind: 'incoming operation' as never,
    request: { query, variables },
    incomingRequestContext: { overallCachePolicy: { restrict: () => undefined } } as never,
    context: { viewer: who } as never,
  });
}

describe('merging identical subgraph queries in flight', () => {
  let merged = 0;
  let source: SignedSubgraphSource;
  beforeAll(() => {
    source = new SignedSubgraphSource('posts', url, identitySecret, 5_000, undefined, { mergeInflight: true, onMerged: () => void merged++ });
  });

  it('sends ten identical queries of one viewer once; each caller gets the whole answer', async () => {
    const before = received.length;
    const answers = await Promise.all(Array.from({ length: 10 }, () => send(source, 'query($id: ID!) { post(id: $id) { id } }', viewer('a'), { id: '1' })));
    expect(received.length - before).toBe(1);
    expect(merged).toBe(9);
    expect(new Set(answers.map((a) => JSON.stringify(a.data))).size).toBe(1);
    expect(answers[0]!.data).toEqual({ n: before + 1 });
  });

  it('keeps viewers, variables and mutations apart, and merges only while the first is in flight', async () => {
    const before = received.length;
    await Promise.all([
      send(source, '{ feed { id } }', viewer('a')),
      send(source, '{ feed { id } }', viewer('b')),
      send(source, '{ feed { id } }', null),
      send(source, 'query($id: ID!) { post(id: $id) { id } }', viewer('a'), { id: '2' }),
      send(source, 'query($id: ID!) { post(id: $id) { id } }', viewer('a'), { id: '3' }),
      send(source, 'mutation { like(id: "1") }', viewer('a')),
      send(source, 'mutation { like(id: "1") }', viewer('a')),
    ]);
    expect(received.length - before).toBe(7);
    expect(received.slice(before).map((r) => r.viewer).sort()).toEqual(['a', 'a', 'a', 'a', 'a', 'b', null].sort());
    await send(source, '{ feed { id } }', viewer('a'));
    expect(received.length - before).toBe(8);
  });

  it('is off unless asked for', async () => {
    const plain = new SignedSubgraphSource('posts', url, identitySecret, 5_000);
    const before = received.length;
    await Promise.all(Array.from({ length: 5 }, () => send(plain, '{ feed { id } }', viewer('a'))));
    expect(received.length - before).toBe(5);
  });

  it('tells a query from a mutation by the text the query planner writes', () => {
    expect(isQueryText('{ a }')).toBe(true);
    expect(isQueryText('query Q__posts__0($r: [_Any!]!) { _entities(representations: $r) { __typename } }')).toBe(true);
    expect(isQueryText('mutation M { a }')).toBe(false);
    expect(isQueryText('subscription { a }')).toBe(false);
    expect(isQueryText('queryish { a }')).toBe(false);
    expect(isQueryText(undefined)).toBe(false);
  });
});
