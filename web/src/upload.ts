import { client } from './client.ts';
import { Refused } from './errors.ts';
import { CompleteUploadDocument, ConversionUpdatedDocument, CreateUploadDocument, RequestConversionDocument } from './operations.ts';
import type { FileItem } from './types.ts';

/**
 * createUpload → PUT the bytes to the signed URL (nginx streams them to the files service, never
 * through a gateway) → completeUpload, which verifies them. Returns the READY file.
 */
export async function uploadFile(file: File): Promise<FileItem> {
  const { createUpload: ticket } = await client.request(CreateUploadDocument, {
    input: { name: file.name, mimeType: file.type || 'application/octet-stream', size: file.size },
  });
  const put = await fetch(ticket.uploadUrl, { method: 'PUT', body: file, headers: { 'content-type': file.type || 'application/octet-stream' } });
  if (!put.ok) throw new Refused(`The upload failed (${put.status}). Please try again.`);
  const { completeUpload: done } = await client.request(CompleteUploadDocument, { fileId: ticket.file.id });
  if (done.status !== 'READY') throw new Refused(done.rejectionReason ?? 'The file was refused.');
  return done;
}

export interface ConversionState {
  status: 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED';
  progress: number;
  output?: FileItem | null;
  error?: string | null;
}

/** Asks for a thumbnail and reports every state (QUEUED, RUNNING with progress, DONE or FAILED) live. */
export async function makeThumbnail(fileId: string, onState: (state: ConversionState) => void): Promise<() => void> {
  const { requestConversion } = await client.request(RequestConversionDocument, { input: { fileId, target: 'THUMBNAIL' } });
  // after: 0 replays the states that came before the subscription started (QUEUED at least).
  return client.subscribe(ConversionUpdatedDocument, { id: requestConversion.id, after: 0 }, {
    next: ({ conversionUpdated: c }) => onState(c),
    error: () => onState({ status: 'FAILED', progress: 0, error: 'Lost track of the conversion.' }),
  });
}

export const isThumbnail = (f: { name: string }) => f.name.endsWith('-thumbnail.webp');
export const isImage = (f: { mimeType: string }) => f.mimeType.startsWith('image/');
