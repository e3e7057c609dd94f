export * from './chat-facts.ts';
export * from './files-facts.ts';
