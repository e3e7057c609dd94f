import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSubgraphFetcher } from '../src/subgraph-fetcher.ts';

let server: Server;
let base: string;
const connections: unknown[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/slow') return setTimeout(() => res.end('{}'), 20_000);
      res.statusCode = req.url === '/broken' ? 502 : 200;
      res.setHeader('content-type', 'application/json');
      res.setHeader('cache-control', 'max-age=5');
      res.end(JSON.stringify({ method: req.method, identity: req.headers['x-finder-identity'], body: Buffer.concat(chunks).toString() }));
    });
  });
  server.on('connection', (socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('sends method, headers and body, and answers with status, headers and the JSON body', async () => {
  const fetcher = createSubgraphFetcher({ timeoutMs: 30_000 });
  const response = await fetcher(`${base}/graphql`, { method: 'POST', headers: { 'x-finder-identity': 'signed' }, body: '{"query":"{ a }"}' });
  expect(response.ok).toBe(true);
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('max-age=5');
  expect(await response.clone().json()).toEqual({ method: 'POST', identity: 'signed', body: '{"query":"{ a }"}' });
  expect(await response.text()).toContain('"identity":"signed"');
});

it('reports a non-2xx answer as not ok, with its body', async () => {
  const response = await createSubgraphFetcher({ timeoutMs: 30_000 })(`${base}/broken`, { method: 'POST', body: '{}' });
  expect(response.ok).toBe(false);
  expect(response.status).toBe(502);
  expect(await response.json()).toMatchObject({ method: 'POST' });
});

it('keeps connections to a subgraph alive across requests', async () => {
  const fetcher = createSubgraphFetcher({ timeoutMs: 30_000 });
  const before = connections.length;
  for (let i = 0; i < 20; i++) await (await fetcher(`${base}/graphql`, { method: 'POST', body: '{}' })).text();
  // The pool may open a second connection when a request follows the previous answer in the same
  // tick (the first connection is not yet marked free); never one per request.
  expect(connections.length - before).toBeLessThanOrEqual(2);
});

it('gives up on a subgraph that does not answer in time, naming it', async () => {
  const fetcher = createSubgraphFetcher({ timeoutMs: 200 });
  await expect(fetcher(`${base}/slow`, { method: 'POST', body: '{}' })).rejects.toThrow(`subgraph request to ${base}/slow timed out after 200 ms`);
});

it('refuses a URL it cannot fetch', async () => {
  await expect(createSubgraphFetcher({ timeoutMs: 200 })('ftp://example.invalid/graphql')).rejects.toThrow('unsupported subgraph URL protocol ftp:');
});
