import { query } from '@finder/platform/data';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConversionModel, FileModel } from '../models.ts';

/**
 * The one mapping of each table's row to its model: the columns, named as the model names them.
 * Sizes are bigint in Postgres (text from the driver) and fit a double up to 8 PiB.
 */
const FILE = `id, owner_id as "ownerId", name, mime_type as "mimeType", size::float8 as size, sha256, status, rejection_reason as "rejectionReason",
  storage_key as "storageKey", upload_expires_at as "uploadExpiresAt", created_at as "createdAt"`;
export const CONVERSION = `id, file_id as "fileId", requester_id as "requesterId", target, status, progress::float8 as progress,
  output_file_id as "outputFileId", error, version, created_at as "createdAt", updated_at as "updatedAt"`;

/** Batched reads behind the DataLoaders and the commands: one query per kind. Plain SQL, bound parameters. */
export const reads = {
  async files(em: EntityManager, ids: readonly string[]): Promise<FileModel[]> {
    if (ids.length === 0) return [];
    return query<FileModel>(em, `select ${FILE} from files.files where id = any($1::uuid[])`, [[...ids]]);
  },
  /** Which of these files were shared into a conversation the user takes part in. */
  async sharedWith(em: EntityManager, userId: string, fileIds: readonly string[]): Promise<Set<string>> {
    if (fileIds.length === 0) return new Set();
    const rows = await query<{ file_id: string }>(
      em,
      `select distinct s.file_id from files.file_shares s
       join files.conversation_participants p on p.conversation_id = s.conversation_id and p.user_id = $1
       where s.file_id = any($2::uuid[])`,
      [userId, [...fileIds]],
    );
    return new Set(rows.map((r) => r.file_id));
  },
  /** Which of these files are the avatar of their owner (the projector admits only the owner's own). */
  async avatars(em: EntityManager, fileIds: readonly string[]): Promise<Set<string>> {
    if (fileIds.length === 0) return new Set();
    const rows = await query<{ file_id: string }>(em, 'select file_id from files.avatars where file_id = any($1::uuid[])', [[...fileIds]]);
    return new Set(rows.map((r) => r.file_id));
  },
  async conversions(em: EntityManager, ids: readonly string[]): Promise<ConversionModel[]> {
    if (ids.length === 0) return [];
    return query<ConversionModel>(em, `select ${CONVERSION} from files.conversions where id = any($1::uuid[])`, [[...ids]]);
  },
  async conversionsOfFiles(em: EntityManager, fileIds: readonly string[]): Promise<ConversionModel[]> {
    if (fileIds.length === 0) return [];
    return query<ConversionModel>(em, `select ${CONVERSION} from files.conversions where file_id = any($1::uuid[]) order by created_at, id`, [
      [...fileIds],
    ]);
  },
  /** Stored states of a conversion with version > after, ascending. */
  async conversionStates(em: EntityManager, conversionId: string, after: number, limit: number): Promise<ConversionModel[]> {
    const rows = await query<{ state: ConversionModel }>(
      em,
      'select state from files.conversion_states where conversion_id = $1 and version > $2 order by version limit $3',
      [conversionId, after, limit],
    );
    return rows.map((r) => r.state);
  },
  async conversionVersion(em: EntityManager, conversionId: string): Promise<number> {
    const [row] = await query<{ version: number }>(em, 'select version from files.conversions where id = $1', [conversionId]);
    return row?.version ?? 0;
  },
  /**
   * Bytes a user holds or has reserved: every file not deleted or rejected, pending uploads only
   * while their URL is valid. Optionally without one file (the one being uploaded).
   */
  async usage(em: EntityManager, ownerId: string, now: Date, exceptFileId?: string): Promise<number> {
    const [row] = await query<{ used: string | null }>(
      em,
      `select coalesce(sum(size), 0) as used from files.files
       where owner_id = $1 and (status = 'READY' or (status = 'PENDING_UPLOAD' and upload_expires_at > $2)) and ($3::uuid is null or id <> $3)`,
      [ownerId, now, exceptFileId ?? null],
    );
    return Number(row?.used ?? 0);
  },
  /** A user's files (not deleted), newest first, after a (created_at, id) cursor. */
  async filesOf(em: EntityManager, ownerId: string, page: { after?: { at: string; id: string }; limit: number }): Promise<FileModel[]> {
    return query<FileModel>(
      em,
      `select ${FILE} from files.files where owner_id = $1 and status <> 'DELETED'
         and ($2::timestamptz is null or (created_at, id) < ($2::timestamptz, $3::uuid))
       order by created_at desc, id desc limit $4`,
      [ownerId, page.after?.at ?? null, page.after?.id ?? null, page.limit],
    );
  },
};
