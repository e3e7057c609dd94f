import type { Logger } from '@finder/platform/config';
import type { FilesEvent } from '../events/files-events.ts';
import type { Storage } from '../services/storage.ts';

/** Removes the bytes of deleted and rejected files. Deleting twice is harmless (at least once). */
export function createJanitorHandler(deps: { storage: Storage; logger: Logger }) {
  return async function handle(event: FilesEvent): Promise<void> {
    if (event.type !== 'file.deleted' && event.type !== 'file.upload_rejected') return;
    await deps.storage.delete(event.data.storageKey);
    deps.logger.debug({ fileId: event.data.fileId, type: event.type }, 'stored bytes removed');
  };
}
