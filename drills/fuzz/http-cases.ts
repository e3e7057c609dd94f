import { connect as connectTcp } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import { mangle, randomOperation } from './documents.ts';
import type { Random } from './random.ts';

export interface HttpCase {
  kind: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Appended to the URL (a query string for GET). */
  search?: string;
  /** Sent as these raw bytes on a TCP socket instead (a malformed HTTP request). */
  raw?: string;
}

export interface HttpOutcome {
  status: number;
  /** `errors[].extensions.code` of a JSON answer. */
  codes: string[];
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * One random request for the GraphQL endpoint: a generated operation (sometimes mangled), a broken
 * body, odd headers or methods, or malformed HTTP. `token` is a signed-in user's, used on half.
 */
export function randomHttpCase(random: Random, schema: GraphQLSchema, token: string): HttpCase {
  const auth: Record<string, string> = random.chance(0.5) ? { authorization: `Bearer ${token}` } : {};
  const roll = random.next();
  if (roll < 0.55) {
    const op = randomOperation(random, schema);
    const mangled = random.chance(0.15);
    const query = mangled ? mangle(random, op.query) : op.query;
    const variables = random.chance(0.05) ? random.pick<unknown>(['not an object', [1, 2], 42, null]) : op.variables;
    return { kind: mangled ? `${op.kind}, mangled` : op.kind, method: 'POST', headers: { ...JSON_HEADERS, ...auth }, body: JSON.stringify({ query, variables, operationName: random.chance(0.9) ? 'Fuzz' : random.pick(['Other', '', '__proto__']) }) };
  }
  if (roll < 0.7) return brokenBody(random, auth);
  if (roll < 0.85) return oddHeaders(random, schema, token);
  if (roll < 0.95) return getRequest(random, schema, auth);
  return malformedHttp(random);
}

function brokenBody(random: Random, auth: Record<string, string>): HttpCase {
  const body = random.pick([
    '{',
    '',
    'null',
    '[]',
    '[{"query":"{ __typename }"},{"query":"{ me { id } }"}]',
    '"just a string"',
    '{"query": 42}',
    '{"query": null}',
    '{"query": {"kind": "Document"}}',
    '{"query": "{ __typename }", "variables": "{}"}',
    '{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}',
    '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0000000000000000000000000000000000000000000000000000000000000000"}}}',
    '{"query": "{ __typename }", "__proto__": {"polluted": true}}',
    `{"query": "${'{ a '.repeat(3_000)}"}`,
    JSON.stringify({ query: '{ __typename }', variables: { deep: JSON.parse('['.repeat(2_000) + ']'.repeat(2_000)) } }),
    '\u0000\u0001\u0002',
    '{"query": "{ __typename }"}' + 'x'.repeat(10),
  ]);
  const contentType = random.pick(['application/json', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/graphql']);
  return { kind: 'broken body', method: 'POST', headers: { 'content-type': contentType, ...auth }, body };
}

function oddHeaders(random: Random, schema: GraphQLSchema, token: string): HttpCase {
  const query = JSON.stringify({ query: randomOperation(random, schema).kind === 'query' ? '{ me { id } }' : '{ __typename }' });
  const [header, value] = random.pick<[string, string]>([
    ['authorization', 'Bearer'],
    ['authorization', 'Bearer '],
    ['authorization', 'Basic dXNlcjpwYXNz'],
    ['authorization', `Bearer ${token.slice(0, -4)}AAAA`],
    ['authorization', `Bearer ${token.split('.').slice(0, 2).join('.')}.`],
    ['authorization', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
    ['authorization', `Bearer ${'a'.repeat(6_000)}`],
    ['authorization', `Bearer ${token}, Bearer ${token}`],
    ['x-forwarded-for', '1.2.3.4, 5.6.7.8'],
    ['x-forwarded-for', 'not-an-address'],
    ['x-finder-identity', 'forged'],
    ['x-finder-unsigned-caller', '{"viewer":{"id":"x","role":"ADMIN"}}'],
    ['apollo-require-preflight', 'true'],
    ['origin', 'https://evil.example'],
    ['cookie', `session=${'c'.repeat(4_000)}`],
    ['accept', 'application/graphql-response+json'],
    ['accept', 'text/html'],
    ['accept-encoding', 'gzip, br, zstd, identity;q=0'],
    ['x-apollo-operation-name', '\u00ff'],
  ]);
  const method = random.pick(['POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
  return { kind: `header ${header}`, method, headers: { ...JSON_HEADERS, [header]: value }, body: method === 'OPTIONS' ? undefined : query };
}

function getRequest(random: Random, schema: GraphQLSchema, auth: Record<string, string>): HttpCase {
  const op = randomOperation(random, schema);
  const params = new URLSearchParams({ query: random.chance(0.2) ? mangle(random, op.query) : op.query });
  if (random.chance(0.8)) params.set('variables', random.chance(0.9) ? JSON.stringify(op.variables) : '{broken');
  if (random.chance(0.1)) params.set('extensions', '{"persistedQuery":{"version":1,"sha256Hash":"nope"}}');
  const preflight: Record<string, string> = random.chance(0.8) ? { 'apollo-require-preflight': 'true' } : {};
  return { kind: `GET ${op.kind}`, method: 'GET', headers: { ...preflight, ...auth }, search: `?${params}` };
}

function malformedHttp(random: Random): HttpCase {
  const raw = random.pick([
    'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"q',
    'POST /graphql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\ncontent-type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 30\r\ncontent-type: application/json\r\n\r\n{}',
    'GET /graphql?query=%7B__typename HTTP/1.1\r\nHost: x\r\napollo-require-preflight: t\r\n\r\n',
    `GET /graphql?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    `POST /graphql HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(40_000)}\r\n\r\n`,
    'GARBAGE\r\n\r\n',
    'POST /graphql HTTP/1.0\r\ncontent-type: application/json\r\nContent-Length: 28\r\n\r\n{"query":"{ __typename }"}  ',
    'POST /graphql/../metrics HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /graphql%00 HTTP/1.1\r\nHost: x\r\n\r\n',
  ]);
  return { kind: 'malformed HTTP', method: 'RAW', headers: {}, raw };
}

/** Sends a case; `status` 0 means the connection closed without an answer. */
export async function sendHttpCase(url: string, c: HttpCase): Promise<HttpOutcome> {
  if (c.raw !== undefined) return sendRaw(url, c.raw);
  const response = await fetch(url + (c.search ?? ''), { method: c.method, headers: c.headers, body: c.body, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  let codes: string[] = [];
  try {
    const body = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
    codes = (body.errors ?? []).map((e) => e.extensions?.code ?? '(none)');
  } catch {
    // not JSON (an nginx page, an empty answer)
  }
  return { status: response.status, codes };
}

function sendRaw(url: string, raw: string): Promise<HttpOutcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connectTcp(Number(port), hostname);
    let answer = '';
    const done = () => {
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      resolve({ status: match ? Number(match[1]) : 0, codes: [] });
    };
    socket.setTimeout(10_000, done);
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (/\r\n\r\n/.test(answer)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(raw);
  });
}
