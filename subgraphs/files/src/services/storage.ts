import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
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
      const partial = `${path}.partial-${hostname()}-${process.pid}-${Date.now()}`;
      await mkdir(dirname(path), { recursive: true });
      // A writer killed mid-way (a converter, whose retry writes the same key) left its partial.
      await removeAbandonedPartials(path);
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

const ABANDONED_AFTER_MS = 60 * 60_000;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes the partial writes of a key that nobody is writing any more: those of a process of this
 * host that has died, and any older than an hour (another host's, or a recycled pid).
 */
async function removeAbandonedPartials(path: string): Promise<void> {
  const prefix = `${basename(path)}.partial-`;
  const names = (await readdir(dirname(path))).filter((name) => name.startsWith(prefix));
  const now = Date.now();
  for (const name of names) {
    const [, host, pid, startedAt] = /^(.+)-(\d+)-(\d+)$/.exec(name.slice(prefix.length)) ?? [];
    const dead = host === hostname() && !isAlive(Number(pid));
    if (dead || (startedAt && now - Number(startedAt) > ABANDONED_AFTER_MS)) await rm(join(dirname(path), name), { force: true });
  }
}

export function createS3Storage(options: { bucket: string; endpoint?: string | undefined; region: string; forcePathStyle: boolean }): Storage {
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    // By default the SDK sends a streamed body aws-chunked with a trailing checksum, which many
    // S3-compatible stores do not decode (they store the framing as the object): checksums only
    // where an operation requires them. The sha256 of completeUpload protects the content.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const Bucket = options.bucket;
  return {
    async put(key, body, size) {
      // A single PUT with a known length: S3 stores it only if every byte arrived. A body that
      // fails or ends short must abort the request: the store would otherwise wait for the rest.
      const abort = new AbortController();
      const exact = exactLength(size);
      const failed = new Promise<never>((_, reject) =>
        exact.once('error', (err) => {
          abort.abort(err);
          reject(err);
        }),
      );
      body.once('error', (err) => exact.destroy(err));
      body.pipe(exact);
      await Promise.race([client.send(new PutObjectCommand({ Bucket, Key: key, Body: exact, ContentLength: size }), { abortSignal: abort.signal }), failed]);
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

/** Passes a body through and fails it when it ends with fewer or more bytes than announced. */
function exactLength(size: number): Transform {
  let received = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(received > size ? new Error(`The body is longer than ${size} bytes`) : null, chunk);
    },
    flush(callback) {
      callback(received === size ? null : new Error(`The body ended after ${received} of ${size} bytes`));
    },
  });
}

/** Reads a whole object into memory (bounded by the per-file maximum). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

