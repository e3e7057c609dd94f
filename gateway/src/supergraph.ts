import { Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';

/** The three views of one supergraph that planning and executing need, built once. */
export interface LoadedSupergraph {
  supergraph: Supergraph;
  /** Federation's internal model of the API schema (what clients see), for planning. */
  apiSchema: Schema;
  /** graphql-js API schema, for validating client operations. */
  apiGraphQLSchema: GraphQLSchema;
  /** graphql-js supergraph schema, for executing plans. */
  supergraphGraphQLSchema: GraphQLSchema;
  planner: QueryPlanner;
  subgraphs: { name: string; url: string }[];
}

export function loadSupergraph(sdl: string): LoadedSupergraph {
  const supergraph = Supergraph.build(sdl);
  const apiSchema = supergraph.apiSchema();
  return {
    supergraph,
    apiSchema,
    apiGraphQLSchema: apiSchema.toGraphQLJSSchema(),
    supergraphGraphQLSchema: supergraph.schema.toGraphQLJSSchema(),
    planner: new QueryPlanner(supergraph),
    subgraphs: supergraph.subgraphsMetadata().map(({ name, url }) => ({ name, url })),
  };
}
