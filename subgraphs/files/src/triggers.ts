import type { ConversionModel } from './models.ts';

/** Redis pub/sub channels of the files subgraph, built in one place. */
export const triggers = {
  conversionUpdated: (conversionId: string) => `files.conversion.${conversionId}`,
};

/** What goes over Redis for a conversion state: the stored row. */
export type ConversionPayload = ConversionModel;
