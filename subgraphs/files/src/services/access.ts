import type { Viewer } from '@finder/platform/auth';
import type { Loaders } from '../loaders.ts';
import type { ConversionModel, FileModel } from '../models.ts';

/**
 * Who may see a file: its owner (whatever its status); once it is READY, any signed-in user when
 * it is its owner's avatar (shown on a profile everyone can open; see the avatar projector), and
 * the participants of a conversation it was shared into (see the chat projector for what counts
 * as shared). Everyone else cannot tell it from a file that does not exist.
 */
export async function canSeeFile(viewer: Viewer | null, file: FileModel | null, loaders: Loaders): Promise<boolean> {
  if (!viewer || !file) return false;
  if (file.ownerId === viewer.id) return true;
  if (file.status !== 'READY') return false;
  if (await loaders.isAvatar.load(file.id)) return true;
  return loaders.sharedWithViewer.load(file.id);
}

/**
 * Whether the reader of a message sees one of its attachments. Chat admitted the attachment when
 * the message was sent; files applies its own sharing rule again, from the message rather than
 * from the projected share (which lands a moment later): the file is READY and the sender owns it
 * or could see it through a conversation. So participants see attachments as soon as the message
 * exists, and a file deleted since is gone from every message.
 */
export async function canSeeAttachment(viewer: Viewer | null, senderId: string, file: FileModel | null, loaders: Loaders): Promise<boolean> {
  if (!viewer || !file) return false;
  if (file.ownerId === viewer.id) return true;
  if (file.status !== 'READY') return false;
  if (file.ownerId === senderId) return true;
  const [viewerHas, senderHad] = await Promise.all([
    loaders.sharedWithViewer.load(file.id),
    loaders.sharedWithUser.load({ userId: senderId, fileId: file.id }),
  ]);
  return viewerHas || senderHad;
}

/** A conversion is seen by whoever requested it and by the owner of its source file. */
export async function canSeeConversion(viewer: Viewer | null, conversion: ConversionModel | null, loaders: Loaders): Promise<boolean> {
  if (!viewer || !conversion) return false;
  if (conversion.requesterId === viewer.id) return true;
  const file = await loaders.file.load(conversion.fileId);
  return file?.ownerId === viewer.id;
}
