export * from './env.ts';
export * from './errors.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './redis.ts';
