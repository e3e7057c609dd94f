import type { MessageResolvers } from '../__generated__/resolvers-types.ts';
import { canSeeAttachment } from '../services/access.ts';

export const Message: MessageResolvers = {
  // Only the gateway reaches files, with fields it took from chat, which answers only participants.
  __resolveReference: (message) => message,
  attachments: async ({ attachmentIds = [], sender }, _args, { viewer, loaders }) => {
    if (!sender) return [];
    const files = await Promise.all(attachmentIds.map((id) => loaders.file.load(id)));
    const seen = await Promise.all(files.map((file) => canSeeAttachment(viewer, sender.id, file, loaders)));
    return files.filter((file, i) => file !== null && seen[i]).map((file) => file!);
  },
};
