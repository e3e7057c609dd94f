import type { NotificationResolvers } from '../__generated__/resolvers-types.ts';

export const Notification: NotificationResolvers = {
  read: (notification) => notification.readAt != null,
  engagementRequest: (notification, _args, { loaders, viewer }) =>
    notification.engagementId && viewer?.id === notification.userId ? loaders.engagementById.load(notification.engagementId) : null,
};
