import { baseEnv, databaseEnv, identityEnv, kafkaEnv, loadEnv, redisEnv, writePathEnv } from '@finder/platform/env';
import { z } from 'zod';

const schema = baseEnv
  .extend(databaseEnv.shape)
  .extend(redisEnv.shape)
  .extend(kafkaEnv.shape)
  .extend(identityEnv.shape)
  .extend(writePathEnv.shape)
  .extend({
    MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  });

export type FinderEnv = z.infer<typeof schema>;

export const loadFinderEnv = (source: NodeJS.ProcessEnv = process.env): FinderEnv => loadEnv(schema, source);
