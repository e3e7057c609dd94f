/** Redis pub/sub channels of the files subgraph, built in one place. */
export const triggers = {
  /** Publications: ConversionModel (each stored state, timestamps as ISO strings). */
  conversionUpdated: (conversionId: string) => `files.conversion.${conversionId}`,
};
