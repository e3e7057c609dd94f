import { requireViewer } from '@finder/platform/auth';
import { notFound, validate } from '@finder/platform/config';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { canSeeFile } from '../services/access.ts';
import { fileIdSchema } from '../services/validation.ts';

export const Query: QueryResolvers = {
  file: async (_root, { id }, { viewer: caller, loaders }) => {
    const viewer = requireViewer(caller);
    const file = await loaders.file.load(validate(fileIdSchema, id, 'id'));
    if (!(await canSeeFile(viewer, file, loaders))) throw notFound('File');
    return file;
  },
};
