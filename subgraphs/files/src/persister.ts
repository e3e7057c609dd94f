import { filesFacts } from '@finder/platform/contracts';
import { ErrorCode } from '@finder/platform/config';
import { type ApplyContext, type ApplyResult, reject } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FilesEvent } from './events/files-events.ts';

import type { ConversionModel } from './models.ts';
import { CONVERSION, reads } from './services/reads.ts';
import { triggers } from './triggers.ts';

/**
 * Applies one files event inside the persister's batch transaction. As the single writer it holds
 * the invariants: the quota (file events are keyed by owner, so one partition sees all of a
 * user's reservations in order), and state transitions that only move forward, so a retried
 * converter or a repeated event changes nothing.
 */
export async function applyFilesEvent(ctx: ApplyContext, event: FilesEvent): Promise<ApplyResult> {
  const { em } = ctx;
  const at = event.occurredAt;
  switch (event.type) {
    case 'file.upload_created': {
      const d = event.data;
      const used = await reads.usage(em, d.ownerId, new Date(at));
      if (used + d.size > d.quotaBytes) {
        return reject(ErrorCode.BAD_USER_INPUT, `input.size: exceeds your storage quota (${Math.max(0, d.quotaBytes - used)} bytes left)`, { field: 'input.size' });
      }
      await em.execute(
        `insert into files.files (id, owner_id, name, mime_type, size, status, storage_key, upload_expires_at, created_at, updated_at)
         values (?, ?, ?, ?, ?, 'PENDING_UPLOAD', ?, ?, ?, ?) on conflict do nothing`,
        [d.fileId, d.ownerId, d.name, d.mimeType, d.size, d.storageKey, d.uploadExpiresAt, at, at],
      );
      return { result: { fileId: d.fileId } };
    }
    case 'file.upload_completed': {
      const d = event.data;
      const [row] = await em.execute<{ status: string }[]>(
        `update files.files set status = case when status = 'PENDING_UPLOAD' then 'READY' else status end,
           size = case when status = 'PENDING_UPLOAD' then ? else size end,
           sha256 = case when status = 'PENDING_UPLOAD' then ? else sha256 end,
           mime_type = case when status = 'PENDING_UPLOAD' then ? else mime_type end,
           updated_at = ?
         where id = ? and owner_id = ? returning status`,
        [d.size, d.sha256, d.mimeType, at, d.fileId, d.ownerId],
      );
      if (!row) return reject(ErrorCode.NOT_FOUND, 'File not found');
      if (row.status !== 'READY') return reject(ErrorCode.CONFLICT, `The file is ${row.status}`);
      announce(ctx, event, 'file.ready', d.fileId, d.ownerId);
      return { result: { fileId: d.fileId } };
    }
    case 'file.upload_rejected': {
      const d = event.data;
      await em.execute(
        `update files.files set status = 'REJECTED', rejection_reason = ?, updated_at = ?
         where id = ? and owner_id = ? and status = 'PENDING_UPLOAD'`,
        [d.reason, at, d.fileId, d.ownerId],
      );
      return { result: { fileId: d.fileId } };
    }
    case 'file.deleted': {
      const d = event.data;
      const deleted = await em.execute<{ id: string }[]>(
        `update files.files set status = 'DELETED', deleted_at = ?, updated_at = ? where id = ? and owner_id = ? and status <> 'DELETED' returning id`,
        [at, at, d.fileId, d.ownerId],
      );
      if (deleted.length > 0) announce(ctx, event, 'file.deleted', d.fileId, d.ownerId);
      return { result: { fileId: d.fileId } };
    }
    case 'conversion.requested': {
      const d = event.data;
      const [source] = await em.execute<{ status: string }[]>('select status from files.files where id = ?', [d.fileId]);
      if (source?.status !== 'READY') return reject(ErrorCode.NOT_FOUND, 'File not found');
      const inserted = await em.execute<ConversionModel[]>(
        `insert into files.conversions (id, file_id, requester_id, target, status, progress, output_file_id, version, created_at, updated_at)
         values (?, ?, ?, ?, 'QUEUED', 0, ?, 1, ?, ?) on conflict do nothing returning ${CONVERSION}`,
        [d.conversionId, d.fileId, d.requesterId, d.target, d.outputFileId, at, at],
      );
      if (inserted[0]) await recordState(ctx, inserted[0]);
      return { result: { conversionId: d.conversionId } };
    }
    case 'conversion.progressed': {
      const d = event.data;
      // Forward only: a late or repeated progress never reopens a finished conversion.
      const updated = await em.execute<ConversionModel[]>(
        `update files.conversions set status = 'RUNNING', progress = greatest(progress, ?), version = version + 1, updated_at = ?
         where id = ? and status in ('QUEUED', 'RUNNING') returning ${CONVERSION}`,
        [d.progress, at, d.conversionId],
      );
      if (updated[0]) await recordState(ctx, updated[0]);
      return { result: { conversionId: d.conversionId } };
    }
    case 'conversion.completed': {
      const d = event.data;
      const o = d.output;
      const updated = await em.execute<ConversionModel[]>(
        `update files.conversions set status = 'DONE', progress = 1, version = version + 1, updated_at = ?
         where id = ? and status in ('QUEUED', 'RUNNING') and output_file_id = ? returning ${CONVERSION}`,
        [at, d.conversionId, o.fileId],
      );
      if (updated[0]) {
        // The output's id was fixed when the conversion was requested: a retry cannot add a second file.
        await em.execute(
          `insert into files.files (id, owner_id, name, mime_type, size, sha256, status, storage_key, upload_expires_at,
             source_conversion_id, created_at, updated_at)
           values (?, ?, ?, ?, ?, ?, 'READY', ?, ?, ?, ?, ?) on conflict do nothing`,
          [o.fileId, o.ownerId, o.name, o.mimeType, o.size, o.sha256, o.storageKey, at, d.conversionId, at, at],
        );
        announce(ctx, event, 'file.ready', o.fileId, o.ownerId);
        await recordState(ctx, updated[0]);
      }
      return { result: { conversionId: d.conversionId } };
    }
    case 'conversion.failed': {
      const d = event.data;
      const updated = await em.execute<ConversionModel[]>(
        `update files.conversions set status = 'FAILED', error = ?, version = version + 1, updated_at = ?
         where id = ? and status in ('QUEUED', 'RUNNING') returning ${CONVERSION}`,
        [d.error, at, d.conversionId],
      );
      if (updated[0]) await recordState(ctx, updated[0]);
      return { result: { conversionId: d.conversionId } };
    }
  }
}

/** Queues a fact for the other subgraphs; it leaves only if this event is applied. */
function announce(ctx: ApplyContext, source: FilesEvent, type: 'file.ready' | 'file.deleted', fileId: string, ownerId: string) {
  ctx.emit(filesFacts.topic, filesFacts.derive(type, source, { aggregateId: fileId, data: { fileId, ownerId } }));
}

/** Keeps the state for replays and publishes it once the batch commits. */
async function recordState({ em, publish }: { em: EntityManager; publish: ApplyContext['publish'] }, conversion: ConversionModel) {
  const state = { ...conversion, createdAt: new Date(conversion.createdAt).toISOString(), updatedAt: new Date(conversion.updatedAt).toISOString() };
  await em.execute('insert into files.conversion_states (conversion_id, version, state) values (?, ?, ?::jsonb) on conflict do nothing', [
    conversion.id,
    conversion.version,
    JSON.stringify(state),
  ]);
  publish(triggers.conversionUpdated(conversion.id), state);
}
