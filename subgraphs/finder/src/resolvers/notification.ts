import type { NotificationResolvers } from '../__generated__/resolvers-types.ts';
import { conversationRef } from '../models.ts';

export const Notification: NotificationResolvers = {
  read: (notification) => notification.readAt != null,
  engagementRequest: (notification, _args, { loaders, viewer }) =>
    notification.engagementId && viewer?.id === notification.userId ? loaders.engagementById.load(notification.engagementId) : null,
  conversation: (notification, _args, { viewer }) =>
    notification.conversationId && viewer?.id === notification.userId ? conversationRef(notification.conversationId) : null,
};
