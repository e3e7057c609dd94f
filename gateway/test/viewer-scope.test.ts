import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadSupergraph } from '../src/supergraph.ts';
import { createViewerScope } from '../src/subscriptions/viewer-scope.ts';

const LINKS = `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@composeDirective"])
  @link(url: "https://specs.finder.dev/viewer/v0.1", import: ["@viewerIndependent"])
  @composeDirective(name: "@viewerIndependent")
directive @viewerIndependent on FIELD_DEFINITION
`;

const posts = `${LINKS}
interface Node { id: ID! label: String! }
type Post implements Node @key(fields: "id") {
  id: ID!
  body: String! @viewerIndependent
  label: String! @viewerIndependent
  author: User! @viewerIndependent
  likedByMe: Boolean!
  tags: [String!]! @shareable @viewerIndependent
}
type Poll implements Node @key(fields: "id") { id: ID! label: String! }
type User @key(fields: "id", resolvable: false) { id: ID! }
type Query { node: Node }
type Subscription {
  postAdded(topic: String!): Post! @viewerIndependent
  nodeAdded: Node! @viewerIndependent
  myPosts: Post!
}`;

const people = `${LINKS}
type User @key(fields: "id") { id: ID! name: String! @viewerIndependent email: String }
type Post @key(fields: "id") { id: ID! tags: [String!]! @shareable }
type Query { person: User }`;

function scope() {
  const composed = composeServices([
    { name: 'posts', url: 'http://posts.invalid', typeDefs: parse(posts) },
    { name: 'people', url: 'http://people.invalid', typeDefs: parse(people) },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  return createViewerScope(loadSupergraph(composed.supergraphSdl).supergraphGraphQLSchema);
}

describe('viewer-independent subscriptions (declared with @viewerIndependent)', () => {
  const viewerScope = scope();
  const shared = (query: string) => viewerScope.operation(parse(query));

  it('shares an operation whose every field is declared, key fields and __typename included', () => {
    expect(shared('subscription { postAdded(topic: "t") { __typename id body author { id name } } }')).toBe(true);
    expect(shared('subscription { postAdded(topic: "t") { ...P } } fragment P on Post { body author { name } }')).toBe(true);
  });

  it('keeps per viewer an operation that selects an undeclared field anywhere', () => {
    expect(shared('subscription { postAdded(topic: "t") { body likedByMe } }')).toBe(false);
    expect(shared('subscription { postAdded(topic: "t") { author { name email } } }')).toBe(false);
    expect(shared('subscription { postAdded(topic: "t") { ...P } } fragment P on Post { author { email } }')).toBe(false);
    expect(shared('subscription { postAdded(topic: "t") { ... on Post { likedByMe } } }')).toBe(false);
  });

  it('keeps per viewer a root field that does not promise the same events for everyone', () => {
    expect(shared('subscription { myPosts { body } }')).toBe(false);
  });

  it('does not trust a declaration on a field another subgraph also resolves', () => {
    // Composition merges the directive: the gateway cannot tell whether people promised it too.
    expect(shared('subscription { postAdded(topic: "t") { tags } }')).toBe(false);
  });

  it('requires an interface field to be declared on every implementation', () => {
    expect(shared('subscription { nodeAdded { id } }')).toBe(true);
    expect(shared('subscription { nodeAdded { label } }')).toBe(false);
    expect(shared('subscription { nodeAdded { ... on Post { label } } }')).toBe(true);
  });

  it('tells entity fetches that any authorized caller may answer for all from viewer-dependent ones', () => {
    const fetch = (selection: string) => `query($representations: [_Any!]!) { _entities(representations: $representations) { ${selection} } }`;
    expect(viewerScope.entityFetch(fetch('... on User { __typename name }'))).toBe(true);
    expect(viewerScope.entityFetch(fetch('... on User { name email }'))).toBe(false);
    expect(viewerScope.entityFetch(fetch('... on Post { body } ... on User { email }'))).toBe(false);
    expect(viewerScope.entityFetch('query { person { name } }')).toBe(false);
  });
});
