import { requireViewer } from '@finder/platform/auth';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import type { FileModel } from '../models.ts';
import { canSeeFile } from '../services/access.ts';

const seenBy = (ctx: Context) => (file: FileModel) => canSeeFile(ctx.viewer, file, ctx.loaders);

export const Mutation: MutationResolvers = {
  createUpload: (_root, { input }, { viewer, commands, em }) => commands.createUpload(em, requireViewer(viewer), input),
  completeUpload: (_root, { fileId, idempotencyKey }, { viewer, commands, em }) => commands.completeUpload(em, requireViewer(viewer), fileId, idempotencyKey),
  requestConversion: (_root, { input }, ctx) => ctx.commands.requestConversion(ctx.em, requireViewer(ctx.viewer), input, seenBy(ctx)),
  deleteFile: (_root, { fileId, idempotencyKey }, ctx) => ctx.commands.deleteFile(ctx.em, requireViewer(ctx.viewer), fileId, idempotencyKey, seenBy(ctx)),
};
