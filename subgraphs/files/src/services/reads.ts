import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConversionModel, FileModel } from '../models.ts';

type FileRow = {
  id: string; owner_id: string; name: string; mime_type: string; size: string | number; sha256: string | null; status: FileModel['status'];
  rejection_reason: string | null; storage_key: string; upload_expires_at: Date; created_at: Date;
};
type ConversionRow = {
  id: string; file_id: string; requester_id: string; target: ConversionModel['target']; status: ConversionModel['status'];
  progress: number; output_file_id: string; error: string | null; version: number; created_at: Date; updated_at: Date;
};

export const toFile = (r: FileRow): FileModel => ({
  id: r.id,
  ownerId: r.owner_id,
  name: r.name,
  mimeType: r.mime_type,
  size: Number(r.size),
  sha256: r.sha256,
  status: r.status,
  rejectionReason: r.rejection_reason,
  storageKey: r.storage_key,
  uploadExpiresAt: r.upload_expires_at,
  createdAt: r.created_at,
});

export const toConversion = (r: ConversionRow): ConversionModel => ({
  id: r.id,
  fileId: r.file_id,
  requesterId: r.requester_id,
  target: r.target,
  status: r.status,
  progress: Number(r.progress),
  outputFileId: r.output_file_id,
  error: r.error,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Batched reads behind the DataLoaders and the commands: one query per kind. */
export const reads = {
  async files(em: EntityManager, ids: readonly string[]): Promise<FileModel[]> {
    if (ids.length === 0) return [];
    return (await em.execute<FileRow[]>('select * from files.files where id in (?)', [[...ids]])).map(toFile);
  },
  /** Which of these files were shared into a conversation the user takes part in. */
  async sharedWith(em: EntityManager, userId: string, fileIds: readonly string[]): Promise<Set<string>> {
    if (fileIds.length === 0) return new Set();
    const rows = await em.execute<{ file_id: string }[]>(
      `select distinct s.file_id from files.file_shares s
       join files.conversation_participants p on p.conversation_id = s.conversation_id and p.user_id = ?
       where s.file_id in (?)`,
      [userId, [...fileIds]],
    );
    return new Set(rows.map((r) => r.file_id));
  },
  /** Which of these files are the avatar of their owner (the projector admits only the owner's own). */
  async avatars(em: EntityManager, fileIds: readonly string[]): Promise<Set<string>> {
    if (fileIds.length === 0) return new Set();
    const rows = await em.execute<{ file_id: string }[]>('select file_id from files.avatars where file_id in (?)', [[...fileIds]]);
    return new Set(rows.map((r) => r.file_id));
  },
  async conversions(em: EntityManager, ids: readonly string[]): Promise<ConversionModel[]> {
    if (ids.length === 0) return [];
    return (await em.execute<ConversionRow[]>('select * from files.conversions where id in (?)', [[...ids]])).map(toConversion);
  },
  async conversionsOfFiles(em: EntityManager, fileIds: readonly string[]): Promise<ConversionModel[]> {
    if (fileIds.length === 0) return [];
    return (
      await em.execute<ConversionRow[]>('select * from files.conversions where file_id in (?) order by created_at, id', [[...fileIds]])
    ).map(toConversion);
  },
  /** Stored states of a conversion with version > after, ascending. */
  async conversionStates(em: EntityManager, conversionId: string, after: number, limit: number): Promise<ConversionModel[]> {
    const rows = await em.execute<{ state: ConversionModel }[]>(
      'select state from files.conversion_states where conversion_id = ? and version > ? order by version limit ?',
      [conversionId, after, limit],
    );
    return rows.map((r) => r.state);
  },
  async conversionVersion(em: EntityManager, conversionId: string): Promise<number> {
    const [row] = await em.execute<{ version: number }[]>('select version from files.conversions where id = ?', [conversionId]);
    return row?.version ?? 0;
  },
  /**
   * Bytes a user holds or has reserved: every file not deleted or rejected, pending uploads only
   * while their URL is valid. Optionally without one file (the one being uploaded).
   */
  async usage(em: EntityManager, ownerId: string, now: Date, exceptFileId?: string): Promise<number> {
    const [row] = await em.execute<{ used: string | null }[]>(
      `select coalesce(sum(size), 0) as used from files.files
       where owner_id = ? and (status = 'READY' or (status = 'PENDING_UPLOAD' and upload_expires_at > ?))
       ${exceptFileId ? 'and id <> ?' : ''}`,
      exceptFileId ? [ownerId, now, exceptFileId] : [ownerId, now],
    );
    return Number(row?.used ?? 0);
  },
  /** A user's files (not deleted), newest first, after a (created_at, id) cursor. */
  async filesOf(em: EntityManager, ownerId: string, page: { after?: { at: string; id: string }; limit: number }): Promise<FileModel[]> {
    const after = page.after;
    return (
      await em.execute<FileRow[]>(
        `select * from files.files where owner_id = ? and status <> 'DELETED'
         ${after ? 'and (created_at, id) < (?::timestamptz, ?::uuid)' : ''}
         order by created_at desc, id desc limit ?`,
        after ? [ownerId, after.at, after.id, page.limit] : [ownerId, page.limit],
      )
    ).map(toFile);
  },
};
