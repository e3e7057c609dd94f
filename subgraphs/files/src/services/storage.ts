import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { FilesEnv } from '../env.ts';

/**
 * Where file bytes live. Writes are all-or-nothing: an object is visible only once `put` finished,
 * and a failed `put` (the source stream errored, e.g. a size limit) leaves nothing behind.
 */
export interface Storage {
  put(key: string, body: Readable, size: number): Promise<void>;
  get(key: string): Promise<Readable>;
  /** The stored size, or null when there is no such object. */
  size(key: string): Promise<number | null>;
  /** Idempotent: deleting a missing object is fine. */
  delete(key: string): Promise<void>;
}

/** Object keys are generated from file ids only; never from anything a client sent. */
export const storageKeyOf = (fileId: string): string => `files/${fileId.slice(0, 2)}/${fileId}`;

export function createStorage(env: FilesEnv): Storage {
  if (env.FILES_S3_BUCKET) {
    return createS3Storage({
      bucket: env.FILES_S3_BUCKET,
      endpoint: env.FILES_S3_ENDPOINT,
      region: env.FILES_S3_REGION,
      forcePathStyle: env.FILES_S3_FORCE_PATH_STYLE === 'true',
    });
  }
  return createLocalStorage(env.FILES_STORAGE_DIR);
}

export function createLocalStorage(dir: string): Storage {
  const root = resolve(dir);
  const pathOf = (key: string) => {
    const path = resolve(root, key);
    if (!path.startsWith(`${root}/`)) throw new Error(`storage key escapes the storage folder: ${key}`);
    return path;
  };
  return {
    async put(key, body) {
      const path = pathOf(key);
      // Written beside the final name and renamed at the end: readers never see a partial object.
      const partial = `${path}.partial-${process.pid}-${Date.now()}`;
      await mkdir(dirname(path), { recursive: true });
      try {
        await pipeline(body, createWriteStream(partial, { flags: 'wx' }));
        await rename(partial, path);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
    },
    async get(key) {
      return createReadStream(pathOf(key));
    },
    async size(key) {
      try {
        return (await stat(pathOf(key))).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}

export function createS3Storage(options: { bucket: string; endpoint?: string | undefined; region: string; forcePathStyle: boolean }): Storage {
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const Bucket = options.bucket;
  return {
    async put(key, body, size) {
      // A single PUT with a known length: S3 stores it only if every byte arrived.
      await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentLength: size }));
    },
    async get(key) {
      const out = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      return out.Body as Readable;
    },
    async size(key) {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return out.ContentLength ?? 0;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404) return null;
        throw err;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
  };
}

/** Reads a whole object into memory (bounded by the per-file maximum). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

