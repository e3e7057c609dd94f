export * from './async-queue.ts';
export * from './coalesced-sends.ts';
export * from './document-cache.ts';
export * from './gapless.ts';
export * from './merged-nexts.ts';
export * from './presence.ts';
export * from './pubsub.ts';
export * from './subgraph-ws.ts';
