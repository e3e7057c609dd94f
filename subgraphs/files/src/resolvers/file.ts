import type { FileResolvers } from '../__generated__/resolvers-types.ts';
import { canSeeFile } from '../services/access.ts';

export const File: FileResolvers = {
  __resolveReference: async ({ id }, { viewer, loaders }) => {
    const file = await loaders.file.load(id);
    return (await canSeeFile(viewer, file, loaders)) ? file : null;
  },
  owner: (file) => ({ __typename: 'User', id: file.ownerId }),
  downloadUrl: (file, _args, { signer, downloadTtlMs }) =>
    file.status === 'READY' ? signer.url('download', file.id, Date.now() + downloadTtlMs) : null,
  downloadUrlExpiresAt: (file, _args, { downloadTtlMs }) =>
    file.status === 'READY' ? new Date(Math.floor((Date.now() + downloadTtlMs) / 1000) * 1000).toISOString() : null,
  conversions: async (file, _args, { viewer, loaders }) => {
    const all = await loaders.conversionsOfFile.load(file.id);
    return file.ownerId === viewer?.id ? all : all.filter((c) => c.requesterId === viewer?.id);
  },
};
