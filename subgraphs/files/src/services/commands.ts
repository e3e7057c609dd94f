import { createHash } from 'node:crypto';
import type { Viewer } from '@finder/platform/auth';
import { badInput, conflict, forbidden, type Logger, notFound, validate } from '@finder/platform/config';
import { uuidv7 } from '@finder/platform/data';
import type { Submit } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FilesEnv } from '../env.ts';
import { filesEvents } from '../events/files-events.ts';
import type { ConversionModel, FileModel, UploadTicketModel } from '../models.ts';
import { reads } from './reads.ts';
import type { UrlSigner } from './signing.ts';
import { createSniffer, IMAGE_TYPES, verifyType } from './sniff.ts';
import { storageKeyOf, type Storage } from './storage.ts';
import { createUploadSchema, fileIdSchema, idempotencyKeySchema, requestConversionSchema } from './validation.ts';

type Limits = Pick<FilesEnv, 'FILES_MAX_FILE_BYTES' | 'FILES_USER_QUOTA_BYTES' | 'FILES_UPLOAD_URL_TTL_SECONDS'>;

/**
 * The files subgraph's rules, checked here for fast feedback and again by the persister, which
 * alone writes. Every write goes through files.events and answers after it is stored.
 */
export function createFilesCommands(deps: { submit: Submit<typeof filesEvents.schemas>; storage: Storage; signer: UrlSigner; limits: Limits; logger: Logger }) {
  const { submit, storage, signer, limits } = deps;
  const uploadSchema = createUploadSchema(limits.FILES_MAX_FILE_BYTES);

  async function file(em: EntityManager, id: string): Promise<FileModel> {
    const [found] = await reads.files(em, [id]);
    if (!found) throw notFound('File');
    return found;
  }

  async function ownFile(em: EntityManager, viewer: Viewer, rawId: string, field = 'fileId'): Promise<FileModel> {
    const id = validate(fileIdSchema, rawId, field);
    const [found] = await reads.files(em, [id]);
    // Other people's files do not exist, as far as they can tell.
    if (!found || found.ownerId !== viewer.id) throw notFound('File');
    return found;
  }

  /** Rejects a pending upload: its bytes go first, then the event (the worker removes them again if need be). */
  async function rejectUpload(target: FileModel, actorId: string | null, reason: string): Promise<void> {
    await storage.delete(target.storageKey);
    await submit(
      filesEvents.create('file.upload_rejected', {
        aggregateId: target.ownerId,
        actorId,
        data: { fileId: target.id, ownerId: target.ownerId, storageKey: target.storageKey, reason },
      }),
    );
  }

  return {
    file,
    rejectUpload,

    async createUpload(em: EntityManager, viewer: Viewer, raw: unknown): Promise<UploadTicketModel> {
      const input = validate(uploadSchema, raw);
      const now = new Date();
      const used = await reads.usage(em, viewer.id, now);
      if (used + input.size > limits.FILES_USER_QUOTA_BYTES) {
        throw badInput(`input.size: exceeds your storage quota (${limits.FILES_USER_QUOTA_BYTES - used} bytes left)`, 'input.size');
      }
      const fileId = uuidv7();
      const expiresAt = now.getTime() + limits.FILES_UPLOAD_URL_TTL_SECONDS * 1000;
      const outcome = await submit(
        filesEvents.create('file.upload_created', {
          aggregateId: viewer.id,
          actorId: viewer.id,
          idempotencyKey: input.idempotencyKey ?? undefined,
          data: {
            fileId,
            ownerId: viewer.id,
            name: input.name,
            mimeType: input.mimeType,
            size: input.size,
            storageKey: storageKeyOf(fileId),
            uploadExpiresAt: new Date(expiresAt).toISOString(),
            quotaBytes: limits.FILES_USER_QUOTA_BYTES,
          },
        }),
      );
      // A retry with the same idempotency key answers with the file (and URL) of the first attempt.
      const stored = await file(em, String(outcome.result?.fileId ?? fileId));
      const storedExpiry = new Date(stored.uploadExpiresAt).getTime();
      return { file: stored, uploadUrl: signer.url('upload', stored.id, storedExpiry), expiresAt: new Date(storedExpiry).toISOString() };
    },

    /** Verifies what was stored: size, SHA-256 and the type sniffed from the bytes. */
    async completeUpload(em: EntityManager, viewer: Viewer, rawId: string, rawKey: unknown): Promise<FileModel> {
      const target = await ownFile(em, viewer, rawId);
      const idempotencyKey = validate(idempotencyKeySchema, rawKey, 'idempotencyKey');
      if (target.status !== 'PENDING_UPLOAD') {
        if (target.status === 'DELETED') throw notFound('File');
        return target;
      }
      const stored = await storage.size(target.storageKey);
      if (stored === null) throw conflict('Nothing was uploaded for this file yet (or the upload is still running)');
      if (stored !== target.size) {
        await rejectUpload(target, viewer.id, `Stored ${stored} bytes but ${target.size} were declared`);
        return file(em, target.id);
      }
      const hash = createHash('sha256');
      const sniffer = createSniffer();
      let size = 0;
      for await (const chunk of await storage.get(target.storageKey)) {
        hash.update(chunk as Buffer);
        sniffer.push(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      if (size !== target.size) {
        await rejectUpload(target, viewer.id, `Stored ${size} bytes but ${target.size} were declared`);
        return file(em, target.id);
      }
      const verdict = verifyType(target.mimeType, sniffer.result());
      if (!verdict.ok) {
        await rejectUpload(target, viewer.id, verdict.reason);
        return file(em, target.id);
      }
      await submit(
        filesEvents.create('file.upload_completed', {
          aggregateId: target.ownerId,
          actorId: viewer.id,
          idempotencyKey: idempotencyKey ?? undefined,
          data: { fileId: target.id, ownerId: target.ownerId, size, sha256: hash.digest('hex'), mimeType: verdict.mimeType },
        }),
      );
      return file(em, target.id);
    },

    async requestConversion(em: EntityManager, viewer: Viewer, raw: unknown, canSee: (file: FileModel) => Promise<boolean>): Promise<ConversionModel> {
      const input = validate(requestConversionSchema, raw);
      const [source] = await reads.files(em, [input.fileId]);
      if (!source || !(await canSee(source))) throw notFound('File');
      if (source.status !== 'READY') throw badInput('input.fileId: the file is not READY', 'input.fileId');
      if (!IMAGE_TYPES.has(source.mimeType)) throw badInput(`input.fileId: ${source.mimeType} cannot be converted; only images can`, 'input.fileId');
      const conversionId = uuidv7();
      const outcome = await submit(
        filesEvents.create('conversion.requested', {
          aggregateId: conversionId,
          actorId: viewer.id,
          idempotencyKey: input.idempotencyKey ?? undefined,
          data: { conversionId, fileId: source.id, requesterId: viewer.id, target: input.target, outputFileId: uuidv7() },
        }),
      );
      const [stored] = await reads.conversions(em, [String(outcome.result?.conversionId ?? conversionId)]);
      if (!stored) throw notFound('Conversion');
      return stored;
    },

    /** Owner only: DELETED at once, bytes removed by the files worker. */
    async deleteFile(em: EntityManager, viewer: Viewer, rawId: string, rawKey: unknown, canSee: (file: FileModel) => Promise<boolean>): Promise<boolean> {
      const id = validate(fileIdSchema, rawId, 'fileId');
      const idempotencyKey = validate(idempotencyKeySchema, rawKey, 'idempotencyKey');
      const [target] = await reads.files(em, [id]);
      if (!target || !(await canSee(target))) throw notFound('File');
      if (target.ownerId !== viewer.id) throw forbidden('Only the owner can delete a file');
      if (target.status === 'DELETED') return true;
      await submit(
        filesEvents.create('file.deleted', {
          aggregateId: target.ownerId,
          actorId: viewer.id,
          idempotencyKey: idempotencyKey ?? undefined,
          data: { fileId: target.id, ownerId: target.ownerId, storageKey: target.storageKey },
        }),
      );
      return true;
    },
  };
}

export type FilesCommands = ReturnType<typeof createFilesCommands>;
