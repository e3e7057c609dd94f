import { loadEnv, subgraphEnv } from '@finder/platform/config';
import { z } from 'zod';

const MB = 1024 * 1024;

const schema = subgraphEnv
  .extend({
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

export type FilesEnv = z.infer<typeof schema>;
export const loadFilesEnv = (source: NodeJS.ProcessEnv = process.env): FilesEnv => loadEnv(schema, source);

/**
 * The secrets the server loads (loadSecrets), and the only ones its environment holds: its own key for
 * the gateways' identity signature, and the key upload and download URLs are signed with (the server signs
 * them and serves /files/upload and /files/download). The persister and the worker (converter,
 * janitor, projectors) hold neither.
 */
export const FILES_SERVER_SECRETS = ['SUBGRAPH_IDENTITY_SECRET', 'FILES_URL_SECRET'] as const;

export type FilesServerEnv = FilesEnv & Record<(typeof FILES_SERVER_SECRETS)[number], string>;
