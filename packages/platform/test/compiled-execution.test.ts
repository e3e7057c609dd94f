import { signIdentity, IDENTITY_HEADER, subgraphIdentitySecret } from '@finder/platform/auth';
import { AppError, createLogger, ErrorCode } from '@finder/platform/config';
import { createSubgraphServer, DateTime, type SubgraphServer } from '@finder/platform/server';
import { parse } from 'graphql';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A subgraph server answering queries from compiled code against one answering everything with
 * Apollo Server: the same requests get the same status, headers and bytes, errors included, and
 * a mutation runs once.
 */
const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  scalar DateTime
  type Query {
    books(first: Int = 2): [Book!]!
    book(id: ID!): Book
    search(term: String!): [Result!]!
    failing: Book!
  }
  type Mutation { touch(id: ID!): Int! }
  union Result = Book | Author
  type Book @key(fields: "id") { id: ID! title: String! author: Author! published: DateTime secret: String }
  type Author { name: String! books: [Book!]! }
`);

const BOOKS = [
  { id: '1', title: 'One', published: new Date('2020-01-02T03:04:05Z'), authorName: 'Ann' },
  { id: '2', title: 'Two', published: null, authorName: 'Bo' },
  { id: '3', title: 'Three', published: new Date('2021-05-06T07:08:09Z'), authorName: 'Ann' },
];
let touches = 0;
let failNextContext = false;
const resolvers = {
  DateTime,
  Query: {
    books: (_: unknown, { first }: { first: number }) => BOOKS.slice(0, first),
    book: async (_: unknown, { id }: { id: string }) => BOOKS.find((b) => b.id === id) ?? null,
    search: (_: unknown, { term }: { term: string }) => [...BOOKS.filter((b) => b.title.includes(term)), { name: term }],
    failing: () => {
      throw new Error('database exploded');
    },
  },
  Mutation: { touch: () => ++touches },
  Result: { __resolveType: (value: { title?: string }) => (value.title ? 'Book' : 'Author') },
  Book: {
    __resolveReference: (ref: { id: string }) => BOOKS.find((b) => b.id === ref.id) ?? null,
    author: (book: { authorName: string }) => ({ name: book.authorName }),
    secret: () => {
      throw new AppError(ErrorCode.FORBIDDEN, 'Not yours');
    },
  },
  Author: { books: (author: { name: string }) => BOOKS.filter((b) => b.authorName === author.name) },
};

const ROOT = 'compiled-execution-test-secret-of-32-characters-or-more';
const servers: Record<'compiled' | 'apollo', { server: SubgraphServer; url: string; registry: Registry }> = {} as never;

async function start(compiledExecution: boolean) {
  const registry = new Registry();
  const server = await createSubgraphServer({
    typeDefs,
    resolvers,
    name: 'books',
    subgraphIdentitySecret: subgraphIdentitySecret(ROOT, 'books'),
    logger: createLogger('compiled-execution-test', 'silent'),
    registry,
    readiness: () => ({}),
    maxBodyBytes: 64 * 1024,
    production: true,
    context: () => {
      // The next context built fails once (the compiled path must then leave the request to Apollo Server).
      if (failNextContext) {
        failNextContext = false;
        throw new Error('context failed');
      }
      return {};
    },
    compiledExecution,
  });
  const port = await server.start(0, '127.0.0.1');
  return { server, registry, url: `http://127.0.0.1:${port}/graphql` };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers?: [string, string][] }> {
  const raw = JSON.stringify(body);
  const identity = signIdentity(null, ROOT, { audience: 'books', method: 'POST', body: Buffer.from(raw) });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity, ...headers }, body: raw });
  const kept = [...res.headers].filter(([name]) => !['date', 'connection', 'keep-alive', 'content-length'].includes(name));
  return { status: res.status, text: await res.text(), headers: kept };
}

/** Requests the compiled server answered by each path so far. */
async function answeredBy(): Promise<Record<string, number>> {
  const metric = await servers.compiled.registry.getSingleMetric('graphql_compiled_execution_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.by), v.value]));
}

beforeAll(async () => {
  servers.compiled = await start(true);
  servers.apollo = await start(false);
});
afterAll(async () => {
  await servers.compiled?.server.stop();
  await servers.apollo?.server.stop();
});

describe('compiled execution in a subgraph server', () => {
  const cases: [string, unknown][] = [
    ['defaults, nesting, custom scalars', { query: '{ books { id title published author { name books { id } } } }' }],
    ['variables and aliases', { query: 'query B($n: Int) { first: books(first: $n) { id } all: books(first: 3) { t: title } }', variables: { n: 1 } }],
    ['async resolver, null result', { query: 'query ($id: ID!) { book(id: $id) { id title } }', variables: { id: '9' } }],
    ['union with fragments and __typename', { query: '{ search(term: "T") { __typename ... on Book { id } ... on Author { name } } }' }],
    ['entities', { query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Book { id title } } }', variables: { r: [{ __typename: 'Book', id: '2' }, { __typename: 'Book', id: '7' }] } }],
    ['named operation among several', { query: 'query A { books { id } } query B { books(first: 1) { title } }', operationName: 'B' }],
    ['a nullable field error', { query: '{ books { id secret } }' }],
    ['a non-null field error, masked', { query: '{ failing { id } books { id } }' }],
    ['variables that do not coerce', { query: 'query ($n: Int) { books(first: $n) { id } }', variables: { n: 'many' } }],
    ['a missing variable', { query: 'query ($id: ID!) { book(id: $id) { id } }' }],
    ['a document that does not validate', { query: '{ books { nope } }' }],
    ['a document that does not parse', { query: '{ books { id ' }],
    ['@skip and @include', { query: 'query ($s: Boolean!) { books { id @skip(if: $s) title id } }', variables: { s: true } }],
    ['introspection', { query: '{ __type(name: "Book") { name fields { name } } }' }],
    ['unknown operation name', { query: '{ books { id } }', operationName: 'Nope' }],
  ];

  // The first six run on compiled code; the rest have errors or what it leaves to Apollo Server.
  cases.forEach(([name, body], i) => {
    it(`answers as Apollo Server does: ${name}`, async () => {
      const before = await answeredBy();
      const [compiled, apollo] = await Promise.all([post(servers.compiled.url, body), post(servers.apollo.url, body)]);
      expect(compiled).toEqual(apollo);
      const after = await answeredBy();
      const by = i < 6 ? 'compiled' : 'apollo';
      expect((after[by] ?? 0) - (before[by] ?? 0), `answered by ${by}`).toBe(1);
    });
  });

  it('runs a mutation once, on Apollo Server, and answers alike', async () => {
    const before = touches;
    const compiled = await post(servers.compiled.url, { query: 'mutation { touch(id: "1") }' });
    expect(touches).toBe(before + 1);
    expect(compiled).toMatchObject({ status: 200, text: `{"data":{"touch":${before + 1}}}\n` });
  });

  it('leaves a query to Apollo Server when the compiled path throws (here: building the context)', async () => {
    const before = await answeredBy();
    failNextContext = true;
    const answer = await post(servers.compiled.url, { query: '{ books(first: 1) { id } }' });
    expect(failNextContext).toBe(false);
    expect(answer).toMatchObject({ status: 200, text: '{"data":{"books":[{"id":"1"}]}}\n' });
    const after = await answeredBy();
    expect((after.apollo ?? 0) - (before.apollo ?? 0)).toBe(1);
  });

  it('answers a query that succeeds from compiled code with exactly the data', async () => {
    const answer = await post(servers.compiled.url, { query: '{ books(first: 1) { id published } }' });
    expect(answer).toMatchObject({ status: 200, text: '{"data":{"books":[{"id":"1","published":"2020-01-02T03:04:05.000Z"}]}}\n' });
  });
});
