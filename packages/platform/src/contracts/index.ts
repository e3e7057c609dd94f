/**
 * Every facts topic, in one place: what a subgraph announces to the others (changes its persister
 * applied, produced through its outbox). A subgraph reacts to another only through these; the
 * producer and its consumers import the same catalog, and no subgraph package depends on another.
 */
export * from './chat-facts.ts';
export * from './files-facts.ts';
export * from './finder-facts.ts';
export * from './users-facts.ts';
