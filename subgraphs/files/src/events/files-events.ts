import { defineEvents, type EventOf } from '@finder/platform/kafka';
import { z } from 'zod';

const fileId = z.uuid();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const target = z.enum(['THUMBNAIL', 'WEBP', 'PNG', 'JPEG']);

/**
 * The files subgraph's event contract. File events are keyed by owner (aggregate: the owner's
 * storage), so one persister partition sees all of a user's files in order and can hold the quota;
 * conversion events are keyed by conversion.
 */
export const filesEvents = defineEvents('files.events', {
  /** A file reserved by createUpload; its bytes are expected at the signed upload URL. */
  'file.upload_created': z.object({
    fileId,
    ownerId: z.uuid(),
    name: z.string().min(1).max(255),
    mimeType: z.string().min(1).max(255),
    size: z.number().int().positive(),
    storageKey: z.string().min(1),
    uploadExpiresAt: z.iso.datetime(),
    /** The owner's quota when it was reserved; the persister re-checks it as the single writer. */
    quotaBytes: z.number().int().positive(),
  }),
  /** completeUpload verified the stored bytes. */
  'file.upload_completed': z.object({
    fileId,
    ownerId: z.uuid(),
    size: z.number().int().positive(),
    sha256,
    /** Sniffed from the bytes. */
    mimeType: z.string().min(1).max(255),
  }),
  /** The bytes broke a rule (size, type, a second upload...); they are removed. */
  'file.upload_rejected': z.object({ fileId, ownerId: z.uuid(), storageKey: z.string().min(1), reason: z.string().min(1).max(500) }),
  /** deleteFile: soft delete now, bytes removed by the files worker. */
  'file.deleted': z.object({ fileId, ownerId: z.uuid(), storageKey: z.string().min(1) }),
  'conversion.requested': z.object({
    conversionId: z.uuid(),
    fileId,
    requesterId: z.uuid(),
    target,
    /** Chosen up front, so a retried conversion can only ever produce this one file. */
    outputFileId: fileId,
  }),
  /** The converter works on it (status RUNNING). */
  'conversion.progressed': z.object({ conversionId: z.uuid(), progress: z.number().min(0).max(1) }),
  'conversion.completed': z.object({
    conversionId: z.uuid(),
    output: z.object({
      fileId,
      ownerId: z.uuid(),
      name: z.string().min(1).max(255),
      mimeType: z.string().min(1),
      size: z.number().int().positive(),
      sha256,
      storageKey: z.string().min(1),
    }),
  }),
  'conversion.failed': z.object({ conversionId: z.uuid(), error: z.string().min(1).max(1000) }),
});

export type FilesEvent = EventOf<typeof filesEvents.schemas>;
export type ConversionTargetName = z.infer<typeof target>;
