export * from './consumer.ts';
export * from './events.ts';
export * from './group-consumer.ts';
export * from './group-membership.ts';
export * from './partition-loop.ts';
export * from './producer.ts';
export * from './transient.ts';
export * from './worker.ts';
