export * from './connections.ts';
export * from './gc-tuning.ts';
export * from './graphql-http.ts';
export * from './http.ts';
export * from './rate-limit.ts';
export * from './scalars.ts';
export * from './service.ts';
export * from './subgraph.ts';
