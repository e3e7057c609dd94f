import { notFound, unauthenticated, validate } from '@finder/platform/config';
import { gaplessStream } from '@finder/platform/realtime';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import type { ConversionModel } from '../models.ts';
import { canSeeConversion } from '../services/access.ts';
import { reads } from '../services/reads.ts';
import { versionSchema } from '../services/validation.ts';
import { triggers } from '../triggers.ts';
import { z } from 'zod';

const conversionIdSchema = z.uuid('must be a conversion id');

export const Subscription: SubscriptionResolvers = {
  conversionUpdated: {
    /** Authorized like a query, once, when it starts; then every state after `after`, without gaps. */
    subscribe: async (_root, args, ctx) => {
      if (!ctx.viewer) throw unauthenticated();
      const id = validate(conversionIdSchema, args.id, 'id');
      const [conversion] = await reads.conversions(ctx.fork(), [id]);
      if (!(await canSeeConversion(ctx.viewer, conversion ?? null, ctx.loaders))) throw notFound('Conversion');
      const after = args.after === null || args.after === undefined ? null : validate(versionSchema, args.after, 'after');
      return gaplessStream<ConversionModel>({
        pubsub: ctx.pubsub,
        trigger: triggers.conversionUpdated(id),
        after,
        replay: (from, limit) => reads.conversionStates(ctx.fork(), id, from, limit),
        latest: () => reads.conversionVersion(ctx.fork(), id),
        seqOf: (state) => state.version,
        logger: ctx.logger,
      });
    },
    resolve: (state: ConversionModel, _args: unknown, ctx: Context) => {
      ctx.cursor = state.version;
      ctx.refreshLoaders();
      return state;
    },
  },
} as SubscriptionResolvers;
