import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, type Logger } from '@finder/platform/config';
import { sendJson, type RouteHandler } from '@finder/platform/server';
import { isUuid } from '@finder/platform/data';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PubSub } from '@finder/platform/realtime';
import type { FilesEnv } from '../env.ts';
import type { FileModel } from '../models.ts';
import type { FilesCommands } from './commands.ts';
import { reads } from './reads.ts';
import { TYPE_EXTENSIONS } from './sniff.ts';
import type { UrlSigner } from './signing.ts';
import type { Storage } from './storage.ts';

const ROUTE = /^\/files\/(upload|download)\/([^/]+)$/;

class LimitExceeded extends Error {
  readonly status: number;
  constructor(message: string, status = 413) {
    super(message);
    this.name = 'LimitExceeded';
    this.status = status;
  }
}

/** Passes bytes through, counting them, and fails the stream the moment one too many arrives. */
function byteLimit(limit: number, tooMany: () => LimitExceeded): Transform & { count: number } {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      counter.count += chunk.length;
      if (counter.count > limit) return callback(tooMany());
      callback(null, chunk);
    },
  }) as Transform & { count: number };
  counter.count = 0;
  return counter;
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return void res.destroy();
  // The client may still be sending: say so and close, rather than read the rest.
  sendJson(res, status, { errors: [{ message, extensions: { code } }] }, { connection: 'close' });
}

/** RFC 6266 file name: an ASCII fallback plus the exact UTF-8 name. */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/**
 * The name a file is downloaded under: its own, ending in an extension of its stored (sniffed and
 * checked) type. Any other extension stays in the name but no longer ends it: a text/plain upload
 * named `page.html` downloads as `page.html.txt`.
 */
export function downloadName(name: string, mimeType: string): string {
  const extensions = TYPE_EXTENSIONS[mimeType];
  if (!extensions) return `${name}.bin`;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  return extensions.includes(extension) ? name : `${name}.${extensions[0]}`;
}

/**
 * The files HTTP endpoints behind nginx: PUT /files/upload/:id streams the bytes to storage under
 * every limit at once (declared size, per-file maximum, quota), GET /files/download/:id serves them
 * as an attachment. Both need a signed, unexpired URL; an upload URL works once.
 */
export function createTransferRoutes(deps: {
  em: EntityManager;
  redis: PubSub['redis'];
  storage: Storage;
  signer: UrlSigner;
  commands: FilesCommands;
  limits: Pick<FilesEnv, 'FILES_MAX_FILE_BYTES' | 'FILES_USER_QUOTA_BYTES' | 'FILES_UPLOAD_URL_TTL_SECONDS'>;
  logger: Logger;
}): RouteHandler {
  const { storage, signer, commands, limits, logger } = deps;

  async function upload(req: IncomingMessage, res: ServerResponse, fileId: string, query: URLSearchParams) {
    const refused = signer.check('upload', fileId, query);
    if (refused) return fail(res, 403, ErrorCode.FORBIDDEN, refused === 'expired' ? 'The upload URL has expired' : 'The upload URL is not valid');
    const em = deps.em.fork();
    const [file] = await reads.files(em, [fileId]);
    if (!file) return fail(res, 404, ErrorCode.NOT_FOUND, 'File not found');
    if (file.status !== 'PENDING_UPLOAD') return fail(res, 409, ErrorCode.CONFLICT, 'This upload URL was already used');
    const declaredLength = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declaredLength) && declaredLength > file.size) {
      // Refused before anything is stored or claimed: the URL still works for the right bytes.
      return fail(res, 413, 'PAYLOAD_TOO_LARGE', `Content-Length ${declaredLength} exceeds the declared size ${file.size}`);
    }
    // One PUT per URL, across every replica: the first claims it.
    const claimed = await deps.redis.set(`files:upload-claim:${fileId}`, '1', 'EX', limits.FILES_UPLOAD_URL_TTL_SECONDS + 3600, 'NX');
    if (claimed !== 'OK') return fail(res, 409, ErrorCode.CONFLICT, 'This upload URL was already used');

    const others = await reads.usage(em, file.ownerId, new Date(), file.id);
    const quotaLeft = limits.FILES_USER_QUOTA_BYTES - others;
    const limit = Math.min(file.size, limits.FILES_MAX_FILE_BYTES, quotaLeft);
    const reason = (count: number) =>
      count > file.size
        ? `More than the declared ${file.size} bytes were sent`
        : count > limits.FILES_MAX_FILE_BYTES
          ? `More than the per-file maximum of ${limits.FILES_MAX_FILE_BYTES} bytes were sent`
          : 'The upload exceeds your storage quota';
    const counter = byteLimit(limit, () => new LimitExceeded(reason(limit + 1)));
    // The limit may trip before storage starts reading: keep the reason, never crash on it.
    let failure: Error | null = null;
    counter.on('error', (err) => (failure ??= err));
    const interrupted = () => counter.destroy(new LimitExceeded('The upload was interrupted', 400));
    req.once('aborted', interrupted);
    req.once('error', interrupted);
    req.pipe(counter);
    try {
      await storage.put(file.storageKey, counter, file.size);
      if (counter.count !== file.size) throw new LimitExceeded(`Received ${counter.count} bytes but ${file.size} were declared`, 400);
    } catch (caught) {
      // The whole request arrived, short: the client's fault, whichever way the storage noticed.
      const short = req.complete && counter.count < file.size;
      const err = failure ?? (short ? new LimitExceeded(`Received ${counter.count} bytes but ${file.size} were declared`, 400) : caught);
      req.unpipe(counter);
      req.resume();
      await storage.delete(file.storageKey).catch((e: unknown) => logger.warn({ err: e, fileId }, 'cannot remove refused upload'));
      const message = err instanceof LimitExceeded ? err.message : 'The upload could not be stored';
      if (!(err instanceof LimitExceeded)) logger.error({ err, fileId }, 'upload failed');
      await commands.rejectUpload(file, null, message).catch((e: unknown) => logger.error({ err: e, fileId }, 'cannot record the rejected upload'));
      const status = err instanceof LimitExceeded ? err.status : 500;
      return fail(res, status, status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 400 ? ErrorCode.BAD_USER_INPUT : ErrorCode.INTERNAL_SERVER_ERROR, message);
    } finally {
      req.off('aborted', interrupted);
      req.off('error', interrupted);
    }
    sendJson(res, 200, { fileId, size: counter.count, next: 'completeUpload' });
  }

  async function download(req: IncomingMessage, res: ServerResponse, fileId: string, query: URLSearchParams) {
    const refused = signer.check('download', fileId, query);
    if (refused) return fail(res, 403, ErrorCode.FORBIDDEN, refused === 'expired' ? 'The download URL has expired' : 'The download URL is not valid');
    const [file] = await reads.files(deps.em.fork(), [fileId]);
    if (!file || file.status !== 'READY') return fail(res, 404, ErrorCode.NOT_FOUND, 'File not found');
    res.writeHead(200, downloadHeaders(file));
    if (req.method === 'HEAD') return void res.end();
    try {
      await pipeline(await storage.get(file.storageKey), res);
    } catch (err) {
      logger.warn({ err, fileId }, 'download interrupted');
      res.destroy();
    }
  }

  return async (req, res, url) => {
    const match = ROUTE.exec(url.pathname);
    if (!match) return false;
    const [, operation, fileId] = match;
    if (!isUuid(fileId!)) {
      fail(res, 404, ErrorCode.NOT_FOUND, 'File not found');
      return true;
    }
    if (operation === 'upload' && req.method === 'PUT') await upload(req, res, fileId!, url.searchParams);
    else if (operation === 'download' && (req.method === 'GET' || req.method === 'HEAD')) await download(req, res, fileId!, url.searchParams);
    else {
      req.resume();
      sendJson(res, 405, { errors: [{ message: `${req.method} is not allowed here`, extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
    }
    return true;
  };
}

function downloadHeaders(file: FileModel): Record<string, string | number> {
  const text = file.mimeType.startsWith('text/') || file.mimeType === 'application/json';
  return {
    'content-type': text ? `${file.mimeType}; charset=utf-8` : file.mimeType,
    'content-length': file.size,
    'content-disposition': contentDisposition(downloadName(file.name, file.mimeType)),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cache-control': 'private, no-store',
    ...(file.sha256 ? { etag: `"${file.sha256}"` } : {}),
  };
}
