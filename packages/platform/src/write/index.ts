export * from './batch-applier.ts';
export * from './outbox.ts';
export * from './outcomes.ts';
export * from './persister.ts';
export * from './submit.ts';
export * from './write-path.ts';
