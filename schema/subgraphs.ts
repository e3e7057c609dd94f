/**
 * The subgraphs composed into the supergraph. URLs are the production (docker-compose) ones;
 * each gateway overrides them with SUBGRAPH_<NAME>_URL.
 */
export const subgraphs = [
  { name: 'users', url: 'http://users:4000/graphql', schema: 'subgraphs/users/src/schema.graphql' },
  { name: 'chat', url: 'http://chat:4000/graphql', schema: 'subgraphs/chat/src/schema.graphql' },
  { name: 'finder', url: 'http://finder:4000/graphql', schema: 'subgraphs/finder/src/schema.graphql' },
  { name: 'files', url: 'http://files:4000/graphql', schema: 'subgraphs/files/src/schema.graphql' },
] as const;

export type SubgraphName = (typeof subgraphs)[number]['name'];
