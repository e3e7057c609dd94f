import type { ConversionResolvers } from '../__generated__/resolvers-types.ts';
import { canSeeFile } from '../services/access.ts';

export const Conversion: ConversionResolvers = {
  file: async (conversion, _args, { loaders }) => {
    const file = await loaders.file.load(conversion.fileId);
    if (!file) throw new Error(`conversion ${conversion.id} has no source file`);
    return file;
  },
  output: async (conversion, _args, { viewer, loaders }) => {
    if (conversion.status !== 'DONE') return null;
    const file = await loaders.file.load(conversion.outputFileId);
    return (await canSeeFile(viewer, file, loaders)) ? file : null;
  },
};
