import type { ConversionResolvers } from '../__generated__/resolvers-types.ts';
import { canSeeFile } from '../services/access.ts';

export const Conversion: ConversionResolvers = {
  // The same rule as File itself: whoever requested a conversion keeps no access to its source
  // beyond what they have now (a file made private again is hidden from them).
  file: async (conversion, _args, { viewer, loaders }) => {
    const file = await loaders.file.load(conversion.fileId);
    return (await canSeeFile(viewer, file, loaders)) ? file : null;
  },
  output: async (conversion, _args, { viewer, loaders }) => {
    if (conversion.status !== 'DONE') return null;
    const file = await loaders.file.load(conversion.outputFileId);
    return (await canSeeFile(viewer, file, loaders)) ? file : null;
  },
};
