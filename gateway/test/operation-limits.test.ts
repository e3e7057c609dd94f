import { composeServices } from '@apollo/composition';
import { readFileSync } from 'node:fs';
import { parse, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { gatewayErrors } from '../src/limits/apollo-plugin.ts';
import { createOperationLimits, type OperationLimitSettings } from '../src/limits/operation-limits.ts';
import { loadSupergraph } from '../src/supergraph.ts';

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])`;

/** Two small subgraphs declaring demand-control directives, composed as the platform's are. */
function supergraph() {
  const result = composeServices([
    {
      name: 'people',
      url: 'http://people.invalid/graphql',
      typeDefs: parse(`${LINK}
        type Query {
          me: Person
          people(first: Int = 20, after: String): PersonConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
          search(text: String!): [Person!]! @listSize(assumedSize: 50) @cost(weight: 20)
        }
        type Mutation { rename(name: String!): Person }
        type PersonConnection { edges: [PersonEdge!]! }
        type PersonEdge { node: Person! }
        type Person @key(fields: "id") { id: ID! name: String! friends(first: Int): [Person!]! }`),
    },
    {
      name: 'posts',
      url: 'http://posts.invalid/graphql',
      typeDefs: parse(`${LINK}
        type Person @key(fields: "id") { id: ID! posts(first: Int = 10): [Post!]! @listSize(slicingArguments: ["first"]) }
        type Post { id: ID! title: String! }`),
    },
  ]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return loadSupergraph(result.supergraphSdl);
}

const loaded = supergraph();
const settings: OperationLimitSettings = { maxDepth: 6, maxAliases: 5, maxRootFields: 4, maxDirectives: 4, maxTokens: 1000, maxCost: 1000, defaultListSize: 10 };
const limits = createOperationLimits(loaded.apiGraphQLSchema, loaded.supergraphGraphQLSchema, settings);
const check = (query: string, variables?: Record<string, unknown>) => limits.check(parse(query), undefined, variables);
const codeOf = (query: string, variables?: Record<string, unknown>) => check(query, variables)?.extensions.code ?? null;

describe('operation limits', () => {
  it('lets ordinary operations through', () => {
    expect(check('{ me { name posts { title } } }')).toBeNull();
    expect(check('query($n: Int) { people(first: $n) { edges { node { name } } } }', { n: 50 })).toBeNull();
  });

  it('refuses an operation deeper than the limit, counting through fragments', () => {
    const deep = '{ me { friends { friends { friends { friends { friends { name } } } } } } }';
    expect(codeOf(deep)).toBe('OPERATION_LIMIT');
    expect(check(deep)?.message).toMatch(/depth limit of 6 exceeded, found 7/);
    const viaFragment = 'query { me { ...F } } fragment F on Person { friends { friends { friends { friends { friends { name } } } } } }';
    expect(codeOf(viaFragment)).toBe('OPERATION_LIMIT');
  });

  it('refuses alias bombs and too many root fields', () => {
    const aliases = `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: me { name }`).join(' ')} }`;
    expect(check(aliases)?.message).toMatch(/Aliases limit of 5 exceeded, found 6/);
    const roots = '{ me { name } people(first: 1) { edges { node { id } } } again: me { id } __typename }';
    expect(check(roots)).toBeNull();
    const tooMany = '{ me { name } people(first: 1) { edges { node { id } } } b: me { id } ...R } fragment R on Query { c: me { id } d: me { id } }';
    expect(check(tooMany)?.message).toMatch(/Root field limit of 4 exceeded, found 5/);
  });

  it('refuses too many directives', () => {
    const directives = '{ me @include(if: true) @skip(if: false) { name @include(if: true) id @skip(if: false) a: name @include(if: true) } }';
    expect(check(directives)?.message).toMatch(/Directives limit of 4 exceeded, found 5/);
  });

  it('estimates cost from @cost and @listSize, with the slicing argument the request passes', () => {
    // people(first: 20): the connection object 1, plus 20 edges each costing edge 1 + node 1.
    expect(limits.estimate(parse('{ people { edges { node { name } } } }'))).toBe(1 + 20 * 2);
    expect(limits.estimate(parse('query($n: Int) { people(first: $n) { edges { node { name } } } }'), undefined, { n: 5 })).toBe(1 + 5 * 2);
    // search: assumed size 50, weight 20 each.
    expect(limits.estimate(parse('{ search(text: "x") { id } }'))).toBe(50 * 20);
    // A list without @listSize or a slicing argument: the default size (10); nested lists multiply.
    expect(limits.estimate(parse('{ me { friends { friends { id } } } }'))).toBe(1 + 10 * (1 + 10 * 1));
    // A root mutation field costs 10.
    expect(limits.estimate(parse('mutation { rename(name: "x") { id } }'))).toBe(10);
  });

  it('refuses an operation over the cost limit with its estimate and the limit', () => {
    const costly = check('query($n: Int) { people(first: $n) { edges { node { posts(first: 100) { title } } } } }', { n: 100 });
    expect(costly?.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', cost: 1 + 100 * (1 + 1 + 100), limit: 1000 });
    // The same document with a small page is fine: cost depends on variables, shape limits do not.
    expect(check('query($n: Int) { people(first: $n) { edges { node { posts(first: 100) { title } } } } }', { n: 5 })).toBeNull();
  });
});

describe('gateway error wording', () => {
  const passThrough = (formatted: GraphQLFormattedError) => formatted;
  const suggestion = { message: 'Cannot query field "emial" on type "User". Did you mean "email"?', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };

  it('hides schema suggestions in production only', () => {
    expect(gatewayErrors(passThrough, { production: true })(suggestion, null).message).toBe('Cannot query field "emial" on type "User".');
    expect(gatewayErrors(passThrough, { production: false })(suggestion, null).message).toContain('Did you mean "email"?');
  });

  it('shows the parser token limit as OPERATION_LIMIT', () => {
    const parse = { message: 'Syntax Error: Document contains more that 5000 tokens. Parsing aborted.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } };
    expect(gatewayErrors(passThrough, { production: false })(parse, null).extensions?.code).toBe('OPERATION_LIMIT');
  });
});

describe("the SDK's operations", () => {
  it('all keep the default limits of the platform gateway', async () => {
    const operations = await import('@finder/client/operations');
    const platform = loadSupergraph(readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8'));
    const defaults = createOperationLimits(platform.apiGraphQLSchema, platform.supergraphGraphQLSchema, {
      maxDepth: 12,
      maxAliases: 30,
      maxRootFields: 20,
      maxDirectives: 50,
      maxTokens: 5_000,
      maxCost: 10_000,
      defaultListSize: 10,
    });
    const documents = Object.entries(operations).filter(([name]) => name.endsWith('Document')) as [string, DocumentNode][];
    expect(documents.length).toBeGreaterThan(30);
    const refused = documents.flatMap(([name, document]) => {
      const refusal = defaults.check(document, undefined, { first: 100, last: 100 });
      return refusal ? [`${name}: ${refusal.message}`] : [];
    });
    expect(refused).toEqual([]);
  });
});
