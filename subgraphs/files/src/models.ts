/** The shapes resolvers work with, read from Postgres or received over Redis. */
export interface FileModel {
  id: string;
  ownerId: string;
  name: string;
  mimeType: string;
  size: number;
  sha256: string | null;
  status: 'PENDING_UPLOAD' | 'READY' | 'REJECTED' | 'DELETED';
  rejectionReason: string | null;
  storageKey: string;
  uploadExpiresAt: Date | string;
  createdAt: Date | string;
}

export interface ConversionModel {
  id: string;
  fileId: string;
  requesterId: string;
  target: 'THUMBNAIL' | 'WEBP' | 'PNG' | 'JPEG';
  status: 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED';
  progress: number;
  outputFileId: string;
  error: string | null;
  /** 1, 2, 3... one per state change: the cursor of conversionUpdated. */
  version: number;
  createdAt: Date | string;
  updatedAt: Date | string;
}

export interface UploadTicketModel {
  file: FileModel;
  uploadUrl: string;
  expiresAt: string;
}

/**
 * A chat message as chat hands it over (`@requires`): its id, who sent it and the ids of the files
 * attached. Files stores no messages.
 */
export interface MessageReference {
  __typename?: 'Message';
  id: string;
  attachmentIds?: string[];
  sender?: { id: string };
}

/** Users belong to the users subgraph; files only holds their ids. */
export interface UserReference {
  __typename?: 'User';
  id: string;
}
