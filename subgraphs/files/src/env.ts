import { createHmac } from 'node:crypto';
import { loadEnv, subgraphEnv } from '@finder/platform/config';
import { z } from 'zod';

const MB = 1024 * 1024;

const schema = subgraphEnv
  .extend({
    /** Signs upload and download URLs (required in production). */
    FILES_URL_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Where clients reach the files HTTP endpoints (nginx), e.g. https://api.example.com. */
    FILES_PUBLIC_URL: z.url().default('http://127.0.0.1:8080'),
    FILES_MAX_FILE_BYTES: z.coerce.number().int().positive().max(2 ** 31 - 1).default(25 * MB),
    FILES_USER_QUOTA_BYTES: z.coerce.number().int().positive().default(500 * MB),
    FILES_UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().positive().default(15 * 60),
    FILES_DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().positive().default(5 * 60),
    /** Local storage folder, used unless FILES_S3_BUCKET is set. */
    FILES_STORAGE_DIR: z.string().min(1).default('.state/files'),
    /** Any S3-compatible store: bucket, and optionally endpoint (MinIO, R2...) and region. */
    FILES_S3_BUCKET: z.string().min(1).optional(),
    FILES_S3_ENDPOINT: z.url().optional(),
    FILES_S3_REGION: z.string().min(1).default('us-east-1'),
    FILES_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
    /** Test hook: the converter waits this long before each step (0 = never). */
    FILES_CONVERTER_DELAY_MS: z.coerce.number().int().min(0).default(0),
  });

export type FilesEnv = z.infer<typeof schema> & { urlSecret: string };

export function loadFilesEnv(source: NodeJS.ProcessEnv = process.env): FilesEnv {
  const env = loadEnv(schema, source);
  if (env.NODE_ENV === 'production' && !env.FILES_URL_SECRET) {
    process.stderr.write('Invalid configuration:\n  - FILES_URL_SECRET: required in production (missing)\n');
    process.exit(1);
  }
  return {
    ...env,
    // Development derives a separate key from the identity secret rather than reusing it.
    urlSecret: env.FILES_URL_SECRET ?? createHmac('sha256', env.IDENTITY_SECRET).update('files-signed-urls').digest('base64url'),
  };
}
