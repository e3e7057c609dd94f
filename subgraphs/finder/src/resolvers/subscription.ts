import { requireViewer } from '@finder/platform/auth';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import type { NotificationModel } from '../models.ts';

export const Subscription: SubscriptionResolvers = {
  notificationAdded: {
    // Authorized at subscribe time: the stream is the caller's own, whatever they ask for.
    subscribe: (_root, { after }, { viewer, em, notifications }) => notifications.subscribe(em, requireViewer(viewer), after ?? null) as never,
    resolve: (notification: NotificationModel, _args: unknown, ctx: Context) => {
      // The gateway resumes from this cursor on another replica after a reconnect.
      ctx.cursor = notification.seq;
      return notification;
    },
  },
};
