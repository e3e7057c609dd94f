import type { Viewer } from '@finder/platform/auth';
import { unauthenticated } from '@finder/platform/config';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import type { FileModel } from '../models.ts';
import { canSeeFile } from '../services/access.ts';

const signedIn = (viewer: Viewer | null): Viewer => {
  if (!viewer) throw unauthenticated();
  return viewer;
};
const seenBy = (ctx: Context) => (file: FileModel) => canSeeFile(ctx.viewer, file, ctx.loaders);

export const Mutation: MutationResolvers = {
  createUpload: (_root, { input }, { viewer, commands, em }) => commands.createUpload(em, signedIn(viewer), input),
  completeUpload: (_root, { fileId, idempotencyKey }, { viewer, commands, em }) => commands.completeUpload(em, signedIn(viewer), fileId, idempotencyKey),
  requestConversion: (_root, { input }, ctx) => ctx.commands.requestConversion(ctx.em, signedIn(ctx.viewer), input, seenBy(ctx)),
  deleteFile: (_root, { fileId, idempotencyKey }, ctx) => ctx.commands.deleteFile(ctx.em, signedIn(ctx.viewer), fileId, idempotencyKey, seenBy(ctx)),
};
